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
    static final Duration LINGER_TIMEOUT = Duration.ofSeconds(2);  // see linger(): how long the client gets to close,
    static final long MAX_LINGER_BYTES = 1 << 20;                    // and how much unread input we drop meanwhile
    static final Pattern HTTP_VERSION = Pattern.compile("HTTP/[0-9]\\.[0-9]");  // compiled once, not per request
    static final Set<String> KNOWN_METHODS =
            Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");
    static final DateTimeFormatter HTTP_DATE =          // RFC_1123_DATE_TIME would write "3 Nov", HTTP wants "03 Nov"
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT).withZone(ZoneOffset.UTC);
    static final DateTimeFormatter LOG_DATE =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);

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

    /** Whether the request announces a body: one we never read, so its connection must close after the answer. */
    static boolean hasBody(Request request) {
        var length = request.header("Content-Length");
        return request.headers().containsKey("Transfer-Encoding") || (length != null && !length.matches("0+"));
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

    static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 414 -> "URI Too Long";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 505 -> "HTTP Version Not Supported";
            default -> "Unknown";
        };
    }

    static String escapeHtml(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace("\"", "&quot;").replace("'", "&#39;");
    }

    /** One Common Log Format line: client, time, request line, status, body bytes ("-" for none). */
    static void log(Socket client, String requestLine, int status, long bytes) {
        IO.println("%s - - [%s] \"%s\" %d %s".formatted(client.getInetAddress().getHostAddress(),
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
