import module java.base;

/** Reads the request head line by line, with one deadline for all of it. */
record HeadReader(Socket client, InputStream in, long deadline) {
    /** One line without its line end; null if the client closed before sending any of it. */
    String readLine(int limit, int tooLongStatus) throws IOException, HttpError {
        var line = new ByteArrayOutputStream();
        for (int b; (b = read()) != '\n'; ) {
            if (b == -1 && line.size() == 0) return null;
            if (b == -1) throw new HttpError(400, "The request head ended before its empty line.");
            if (line.size() == limit)
                throw new HttpError(tooLongStatus, "A line of the request head is longer than " + limit + " bytes.");
            line.write(b);
        }
        var text = line.toString(StandardCharsets.ISO_8859_1);  // HTTP's head is bytes; Latin-1 maps each to one char
        if (text.endsWith("\r")) text = text.substring(0, text.length() - 1);  // a bare LF is accepted (RFC 9112 §2.2)
        if (text.indexOf('\r') >= 0) throw new HttpError(400, "A bare CR in the request head.");
        return text;
    }

    /** One byte; the socket timeout is what is left of the deadline, so a slow drip cannot outlast it. */
    private int read() throws IOException {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) throw new SocketTimeoutException("request head deadline passed");
        client.setSoTimeout((int) left);
        return in.read();
    }
}
