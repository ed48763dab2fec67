import module java.base;

/**
 * A request's body as it arrives: exactly Content-Length bytes (none without one), within BODY_TIMEOUT of the
 * first read. A client that sent "Expect: 100-continue" holds its body back until we ask: the first read asks,
 * so a request refused from its head alone is never invited to send its body.
 */
final class RequestBody extends InputStream {
    private final HeadReader reader;  // the connection: its socket, and the buffered stream that may hold the start
    private final OutputStream out;   // and its output, with the write deadline, for a 100 Continue
    private final Request request;
    private final long length;
    private long left;
    private long deadline;            // set by the first read

    RequestBody(HeadReader reader, OutputStream out, Request request, long length) {
        this.reader = reader;
        this.out = out;
        this.request = request;
        this.length = length;
        this.left = Math.max(length, 0);
    }

    /** The length the head announced: -1 for none. */
    long length() {
        return length;
    }

    /** Whether every byte of it has been read: then the next request on the connection starts right after it. */
    boolean finished() {
        return left == 0;
    }

    @Override
    public int read() throws IOException {
        var one = new byte[1];
        return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int count) throws IOException {
        if (left == 0) return -1;
        if (deadline == 0) {
            deadline = System.nanoTime() + Http.BODY_TIMEOUT.toNanos();
            if (request.version().equals("HTTP/1.1") && "100-continue".equalsIgnoreCase(request.header("Expect")))
                Http.writeContinue(out);
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (millis <= 0) throw new SocketTimeoutException("request body deadline passed");
        reader.client().setSoTimeout((int) millis);
        int n = reader.in().read(buffer, offset, (int) Math.min(count, left));
        if (n == -1) throw new EOFException("The body ended after " + (length - left) + " of " + length + " bytes.");
        left -= n;
        return n;
    }
}
