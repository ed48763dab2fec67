import module java.base;

/**
 * HTTP/1.1 as this server speaks it: the limits on what a client may send, reading a request head,
 * reason phrases, escaping, and the access log. Server.java says what the server does with a request.
 */
final class Http {
    static final int MAX_REQUEST_LINE = 8 * 1024;       // a longer request line gets 414, not our memory
    static final int MAX_HEAD_BYTES = 64 * 1024;        // the header section; more gets 431
    static final int MAX_HEADERS = 100;                 // more header fields get 431
    static final Duration HEAD_TIMEOUT =                // the whole head, not each read: a slow drip gets 408 too
            Duration.ofMillis(Long.getLong("workshop.headTimeoutMillis", 10_000));  // tests shorten it
    static final Duration BODY_TIMEOUT =                // the whole body, like the head: 1 MiB in 10 s is 100 KiB/s
            Duration.ofMillis(Long.getLong("workshop.bodyTimeoutMillis", 10_000));  // tests shorten it
    static final Duration IDLE_TIMEOUT =                // a kept-alive connection with no new request is then closed
            Duration.ofMillis(Long.getLong("workshop.idleTimeoutMillis", 10_000));  // tests shorten it
    static final int MAX_BODIES_IN_MEMORY =             // what all bodies being read may hold at once: then 503
            Integer.getInteger("workshop.bodiesInMemoryBytes", 64 << 20);  // tests shorten it
    static final Duration WRITE_TIMEOUT =               // a write the client does not take in this long: reset
            Duration.ofMillis(Long.getLong("workshop.writeTimeoutMillis", 10_000));  // tests shorten it
    static final int SEND_BUFFER = 64 * 1024;           // the OS's buffer for what we send: see DeadlineOutput
    static final Duration LINGER_TIMEOUT = Duration.ofSeconds(2);  // see linger(): how long the client gets to close,
    static final long MAX_LINGER_BYTES = 1 << 20;                    // and how much unread input we drop meanwhile
    static final Pattern HTTP_VERSION = Pattern.compile("HTTP/[0-9]\\.[0-9]");  // compiled once, not per request
    static final Set<String> KNOWN_METHODS =
            Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");
    static final DateTimeFormatter HTTP_DATE =          // RFC_1123_DATE_TIME would write "3 Nov", HTTP wants "03 Nov"
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT).withZone(ZoneOffset.UTC);
    static final DateTimeFormatter LOG_DATE =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);

    private static final Semaphore BODY_MEMORY = new Semaphore(MAX_BODIES_IN_MEMORY);  // a permit a byte
    private static final ScheduledThreadPoolExecutor TIMER =  // one timer for every write deadline
            new ScheduledThreadPoolExecutor(1, Thread.ofVirtual().factory());

    static {
        TIMER.setRemoveOnCancelPolicy(true);  // a write that made it in time leaves nothing behind
    }

    private Http() {}  // a namespace: nothing to instantiate

    /** Parses the request line and reads the header fields up to the empty line. The body, if any, stays unread. */
    static Request readRequest(String requestLine, HeadReader reader) throws IOException, HttpError {
        var parts = requestLine.split(" ", -1);  // exactly "METHOD SP TARGET SP VERSION"
        if (parts.length != 3 || !isToken(parts[0]) || parts[1].isEmpty())
            throw new HttpError(400, "The request line is not METHOD TARGET VERSION.");
        var method = parts[0];
        var target = parts[1];
        var version = parts[2];
        if (!HTTP_VERSION.matcher(version).matches()) throw new HttpError(400, "Malformed HTTP version.");
        if (version.charAt(5) != '1') throw new HttpError(505, "This server speaks HTTP/1.0 and HTTP/1.1 only.");
        if (!target.chars().allMatch(c -> c > 0x20 && c < 0x7f)) throw new HttpError(400, "Malformed request target.");
        if (!target.startsWith("/") && !(target.equals("*") && method.equals("OPTIONS")))
            throw new HttpError(400, "The request target must be a path starting with /.");

        var headers = new TreeMap<String, List<String>>(String.CASE_INSENSITIVE_ORDER);
        int budget = MAX_HEAD_BYTES;
        for (int count = 0; ; count++) {
            var line = reader.readLine(budget, 431);
            if (line == null) throw new HttpError(400, "The request head ended before its empty line.");
            if (line.isEmpty()) break;
            if (count == MAX_HEADERS) throw new HttpError(431, "More than " + MAX_HEADERS + " header fields.");
            budget -= line.length() + 2;
            int colon = line.indexOf(':');
            // A name is a token right up to the colon: "Host : x" and folded lines (leading space) are refused.
            if (colon < 1 || !isToken(line.substring(0, colon))) throw new HttpError(400, "Malformed header field.");
            var value = trimSpaces(line.substring(colon + 1));
            if (value.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f))
                throw new HttpError(400, "A control character in a header value.");
            headers.computeIfAbsent(line.substring(0, colon), name -> new ArrayList<>()).add(value);
        }
        var hosts = headers.getOrDefault("Host", List.of());
        if (hosts.size() > 1 || (hosts.isEmpty() && version.equals("HTTP/1.1")))
            throw new HttpError(400, "An HTTP/1.1 request needs exactly one Host header.");
        return new Request(method, target, version, headers);
    }

    /** Strips spaces and tabs at both ends (HTTP's optional whitespace); trim() would strip control characters too. */
    static String trimSpaces(String text) {
        int start = 0, end = text.length();
        while (start < end && (text.charAt(start) == ' ' || text.charAt(start) == '\t')) start++;
        while (end > start && (text.charAt(end - 1) == ' ' || text.charAt(end - 1) == '\t')) end--;
        return text.substring(start, end);
    }

    /**
     * Whether the client lets the connection carry another request: HTTP/1.1 does unless it says
     * "Connection: close"; HTTP/1.0 only if it asks with "Connection: keep-alive" (RFC 9112 §9.3).
     */
    static boolean keepAlive(Request request) {
        var options = request.headers().getOrDefault("Connection", List.of()).stream()
                .flatMap(value -> Arrays.stream(value.split(",")))
                .map(option -> trimSpaces(option).toLowerCase(Locale.ROOT)).toList();
        if (options.contains("close")) return false;
        return request.version().equals("HTTP/1.1") || options.contains("keep-alive");
    }

    /**
     * Between two requests on a kept-alive connection: waits up to IDLE_TIMEOUT for the next one to begin.
     * False if the client closes or stays silent; then we close too, without a word (RFC 9112 §9.8).
     */
    static boolean awaitNext(Socket client, InputStream in) throws IOException {
        client.setSoTimeout((int) IDLE_TIMEOUT.toMillis());
        in.mark(1);
        try {
            if (in.read() == -1) return false;
        } catch (IOException e) {  // silent past the deadline, or gone with a reset: either way, we are done
            return false;
        }
        in.reset();  // the byte is the next request's: HeadReader reads it again, and its deadline starts now
        return true;
    }

    /**
     * The body's length from the head alone, -1 for none. Where the head is ambiguous (two lengths that differ, a
     * length beside Transfer-Encoding), a proxy in front of us could see another request than we do: 400.
     */
    static long contentLength(Request request) throws HttpError {
        var lengths = request.headers().get("Content-Length");
        if (request.headers().containsKey("Transfer-Encoding")) {
            if (lengths != null) throw new HttpError(400, "Both Content-Length and Transfer-Encoding frame this body.");
            throw new HttpError(411, "This server does not read chunked bodies: send a Content-Length.");
        }
        if (lengths == null) return -1;
        var values = lengths.stream().flatMap(value -> Arrays.stream(value.split(",", -1)))  // "5, 5" is one length
                .map(value -> trimSpaces(value)).distinct().toList();
        // Long.parseLong would accept "+5" and non-ASCII digits: check the shape first.
        if (values.size() != 1 || !values.getFirst().matches("[0-9]+"))
            throw new HttpError(400, "Content-Length is not one decimal number.");
        var digits = values.getFirst();
        return digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);  // past 18 digits a long may overflow
    }

    /**
     * The whole body, for a handler that keeps it in memory (its caller has checked the length against its
     * limit). Memory grows with the bytes that arrive, not with the length announced, and the bodies being read
     * share MAX_BODIES_IN_MEMORY: a thousand clients that each send most of a body and stall cannot take the
     * heap; past the bound, a body gets 503 until others are done.
     */
    static byte[] readBody(RequestBody body) throws IOException, HttpError {
        var bytes = new ByteArrayOutputStream();
        var buffer = new byte[16 * 1024];
        int held = 0;
        try {
            for (int n; (n = body.read(buffer)) != -1; held += n) {
                if (!BODY_MEMORY.tryAcquire(n)) throw new HttpError(503, "Too many bodies on their way: try again.");
                bytes.write(buffer, 0, n);
            }
            return bytes.toByteArray();
        } catch (SocketTimeoutException e) {
            throw new HttpError(408, "The request body did not arrive within " + BODY_TIMEOUT.toMillis() + " ms.");
        } catch (EOFException e) {
            throw new HttpError(400, e.getMessage());
        } finally {
            BODY_MEMORY.release(held);
        }
    }

    /** A HEAD request gets the headers of a GET and no body. The request is null when it could not be read. */
    static boolean isHead(Request request) {
        return request != null && request.method().equals("HEAD");
    }

    static boolean isToken(String text) {
        return !text.isEmpty() && text.chars().allMatch(c ->
                c < 0x7f && (Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0));
    }

    /**
     * The socket's output, with a deadline on every write. A client that stops reading (curl --limit-rate 1, or
     * one that never reads) fills the OS's buffers, and a write then waits as long as the client likes: past
     * WRITE_TIMEOUT we reset the connection, which ends the write and frees the thread, the socket and the file.
     */
    static final class DeadlineOutput extends FilterOutputStream {
        private final Socket client;

        DeadlineOutput(Socket client) throws IOException {
            super(client.getOutputStream());
            this.client = client;
            // The OS wakes a blocked write once half its send buffer has drained. With Linux's own (up to 4 MiB),
            // a client reading a steady 100 KB/s would hold one write past WRITE_TIMEOUT; with this, a write that
            // blocks means a client that has stopped reading, not a slow one.
            client.setSendBufferSize(SEND_BUFFER);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            var timeout = TIMER.schedule(this::reset, WRITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            try {
                out.write(bytes, offset, length);
            } catch (IOException e) {  // say why, rather than "Socket closed"
                if (timeout.isDone()) throw new SocketTimeoutException("the client took nothing for "
                        + WRITE_TIMEOUT.toMillis() + " ms: connection reset");
                throw e;
            } finally {
                timeout.cancel(false);
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        private void reset() {
            try {
                client.setSoLinger(true, 0);  // close at once, with a reset: nothing more to deliver
                client.close();               // the blocked write fails with a SocketException
            } catch (IOException e) {
                // already closed
            }
        }
    }

    /**
     * For a connection we close while the client may still be sending (a body we did not read, a head we
     * refused): closing a socket with unread input makes the OS send a reset, which can destroy the response
     * before the client reads it. So we half-close, then drop what still comes until the client closes too,
     * for LINGER_TIMEOUT in all at most: a client that keeps sending cannot keep us.
     */
    static void linger(Socket client, InputStream in) {
        long deadline = System.nanoTime() + LINGER_TIMEOUT.toNanos();
        try {
            client.shutdownOutput();
            var buffer = new byte[8192];
            for (long dropped = 0; dropped < MAX_LINGER_BYTES; ) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) return;
                client.setSoTimeout((int) left);
                int n = in.read(buffer);
                if (n == -1) return;  // the client closed: our response reached it whole
                dropped += n;
            }
        } catch (IOException e) {
            // The response is out; what the client does now no longer matters.
        }
    }

    /** An interim response: a status line and no headers; the final response follows on the same connection. */
    static void writeContinue(OutputStream out) throws IOException {
        out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /**
     * Chunked transfer coding (RFC 9112 §7.1), for a body whose length is unknown when the head goes out: each
     * write is sent as a chunk, its size in hex first; finish() sends the last, empty chunk. A body that is cut
     * short lacks it, so the client can tell a cut from an end.
     */
    static final class ChunkedOutput extends FilterOutputStream {
        ChunkedOutput(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            if (length == 0) return;  // an empty chunk would say "the end"
            out.write((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(bytes, offset, length);
            out.write(new byte[] {'\r', '\n'});
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        void finish() throws IOException {
            out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
    }

    static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 301 -> "Moved Permanently";
            case 302 -> "Found";
            case 304 -> "Not Modified";
            case 400 -> "Bad Request";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 415 -> "Unsupported Media Type";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            case 505 -> "HTTP Version Not Supported";
            default -> "Unknown";
        };
    }

    static String escapeHtml(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace("\"", "&quot;").replace("'", "&#39;");
    }

    /** %XX escapes to bytes, once, then the bytes as UTF-8. Each char of text below 256 is taken as one byte. */
    static String percentDecode(String text, String what) throws HttpError {
        var bytes = new byte[text.length()];  // a byte a character at most: "%41" is three characters, one byte
        int length = 0;
        for (int i = 0; i < text.length(); i++) {
            int b = text.charAt(i);
            if (b == '%') {
                if (i + 2 >= text.length()
                        || !HexFormat.isHexDigit(text.charAt(i + 1)) || !HexFormat.isHexDigit(text.charAt(i + 2)))
                    throw new HttpError(400, "A % in the " + what + " is not followed by two hex digits.");
                b = HexFormat.fromHexDigits(text, i + 1, i + 3);
                i += 2;
            }
            bytes[length++] = (byte) b;
        }
        try {  // a decoder that reports bad UTF-8 (like %c0%ae, an overlong ".") rather than replacing it
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes, 0, length)).toString();
        } catch (CharacterCodingException e) {
            throw new HttpError(400, "The " + what + " is not valid UTF-8.");
        }
    }

    /** Percent-encodes each UTF-8 byte of a path but unreserved characters and /: safe in an href and a Location. */
    static String encodePath(String path) {
        var out = new StringBuilder();
        for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
            boolean unreserved =  // b < 0: not ASCII
                    b >= 0 && (Character.isLetterOrDigit(b) || "-._~/".indexOf(b) >= 0);
            out.append(unreserved ? String.valueOf((char) b) : "%%%02X".formatted(b & 0xff));
        }
        return out.toString();
    }

    /** One Common Log Format line: client, time, request line, status, body bytes ("-" for none). */
    static void log(InetAddress client, String requestLine, int status, long bytes) {  // JDK engine: no Socket
        IO.println("%s - - [%s] \"%s\" %d %s".formatted(client.getHostAddress(),
                LOG_DATE.format(Instant.now()), requestLine == null ? "-" : escapeLog(requestLine),
                status, bytes == 0 ? "-" : bytes));
    }

    /** A request line is the client's text: control characters, quotes and backslashes are written as \xHH. */
    static String escapeLog(String text) {
        var out = new StringBuilder();
        for (char c : text.toCharArray()) {
            if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') out.append("\\x%02x".formatted((int) c));
            else out.append(c);
        }
        return out.toString();
    }
}
