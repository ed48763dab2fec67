///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+

// Step 4: serve forever, one thread per connection.
// New in this step: the accept loop never ends, and each connection is served on its own virtual
// thread, so a slow client no longer blocks everyone else. It serves a page and its picture.
// Run: ./jbang step04-forever-threaded/Server.java [port]   Try: open http://127.0.0.1:8000/ in a browser

static final String SERVER_NAME = "workshop-step04";
static final int DEFAULT_PORT = 8000;
static final int BACKLOG = 1024;                    // connections the OS queues until accept(): 50 drops bursts
static final int MAX_REQUEST_LINE = 8 * 1024;       // a longer request line gets 414, not our memory
static final int MAX_HEAD_BYTES = 64 * 1024;        // the header section; more gets 431
static final int MAX_HEADERS = 100;                 // more header fields get 431
static final Duration HEAD_TIMEOUT =                // the whole head, not each read: a slow drip gets 408 too
        Duration.ofMillis(Long.getLong("workshop.headTimeoutMillis", 10_000));  // tests shorten it
static final Duration LINGER_TIMEOUT = Duration.ofSeconds(2);  // see linger(): how long we wait for the client to close
static final long MAX_LINGER_BYTES = 1 << 20;                    // and how much of its unread input we drop meanwhile
static final Pattern HTTP_VERSION = Pattern.compile("HTTP/[0-9]\\.[0-9]");  // compiled once, not per request
static final Set<String> KNOWN_METHODS =
        Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");
static final String ALLOW = "GET, HEAD";
static final Path IMAGE = Files.exists(Path.of("step04-forever-threaded")) // run from the repository root,
        ? Path.of("step04-forever-threaded", "test.jpg") : Path.of("test.jpg");  // or from the step's folder
static final String PAGE = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Hello, HTTP</title></head>
        <body><h1>Hello World</h1>
        <p>This page came from a Java server you can read in one sitting. The picture below is a second request.</p>
        <img src="/test.jpg" alt="GET /test.jpg, answered 200 OK" width="320" height="180">
        </body></html>
        """;
static final DateTimeFormatter HTTP_DATE =          // RFC_1123_DATE_TIME would write "3 Nov", HTTP wants "03 Nov"
        DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT).withZone(ZoneOffset.UTC);
static final DateTimeFormatter LOG_DATE =
        DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);
static final String USAGE = """
        Usage: Server.java [port] [-b ADDRESS] [-h]
          port                  port to listen on (default 8000; 0 lets the OS pick a free one)
          -b, --bind ADDRESS    address to listen on (default 127.0.0.1; 0.0.0.0 means every interface)
          -h, --help            print this help and exit""";

record Options(int port, InetAddress address) {}

/** The head of one request, as parsed. Header names are case-insensitive, so the map is too. */
record Request(String method, String target, String version, Map<String, List<String>> headers) {
    String header(String name) {
        var values = headers.get(name);
        return values == null ? null : values.getFirst();
    }
}

/** One response. writeTo is the only place that frames a response on the wire. */
record Response(int status, Map<String, String> headers, byte[] body) {
    static Response html(int status, String html) {
        return new Response(status, Map.of("Content-Type", "text/html; charset=utf-8"),
                html.getBytes(StandardCharsets.UTF_8));
    }

    static Response error(int status, String message) {
        var title = status + " " + reason(status);
        return html(status, """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>%s</title></head>
                <body><h1>%s</h1><p>%s</p></body></html>
                """.formatted(title, title, escapeHtml(message)));
    }

    Response with(String name, String value) {
        var more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new Response(status, more, body);
    }

    /** Status line, header lines, empty line, body: each line ends with CRLF. HEAD gets no body. */
    void writeTo(OutputStream out, boolean headOnly) throws IOException {
        var head = new StringBuilder("HTTP/1.1 " + status + " " + reason(status) + "\r\n");
        head.append("Date: ").append(HTTP_DATE.format(Instant.now())).append("\r\n");
        head.append("Server: ").append(SERVER_NAME).append("\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        head.append("Content-Length: ").append(body.length).append("\r\n");
        head.append("Connection: close\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (!headOnly) out.write(body);
        out.flush();
    }
}

/** The client's mistake: answered with an error page of this status, and we carry on. */
static final class HttpError extends Exception {
    final int status;

    HttpError(int status, String message) {
        super(message);
        this.status = status;
    }
}

/** Reads the request head line by line, with one deadline for all of it. */
record HeadReader(Socket client, InputStream in, long deadline) {
    /** One line without its line end; null if the client closed before sending any of it. */
    String readLine(int limit, int tooLongStatus) throws IOException, HttpError {
        var line = new ByteArrayOutputStream();
        for (int b; (b = read()) != '\n'; ) {
            if (b == -1 && line.size() == 0) return null;
            if (b == -1) throw new HttpError(400, "The request head ended before its empty line.");
            if (line.size() == limit) throw new HttpError(tooLongStatus, "A line of the request head is longer than " + limit + " bytes.");
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

void main(String[] args) throws IOException, InterruptedException {
    var options = parseOptions(args);
    try (var server = listen(options)) {
        IO.println(banner(server));
        while (true) {
            try {
                var client = server.accept();
                Thread.ofVirtual().start(() -> serve(client));  // the loop goes straight back to accept()
            } catch (IOException e) {  // out of file descriptors, say: those connected are still served, and close
                System.err.println("Cannot accept a connection: " + e.getMessage());
                Thread.sleep(100);  // give them time to, rather than spin
            }
        }
    }
}

static Options parseOptions(String[] args) {
    try {
        int port = DEFAULT_PORT;
        String address = "127.0.0.1";
        boolean portSeen = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-h", "--help" -> {
                    IO.println(USAGE);
                    System.exit(0);
                }
                case "-b", "--bind" -> {
                    if (++i == args.length) throw new IllegalArgumentException(args[i - 1] + " needs an address");
                    address = args[i];
                }
                default -> {
                    if (args[i].startsWith("-")) throw new IllegalArgumentException("unknown option '" + args[i] + "'");
                    if (portSeen) throw new IllegalArgumentException("unexpected argument '" + args[i] + "'");
                    port = parsePort(args[i]);
                    portSeen = true;
                }
            }
        }
        return new Options(port, parseAddress(address));
    } catch (IllegalArgumentException e) {
        System.err.println("Error: " + e.getMessage());
        System.err.println(USAGE);
        System.exit(2);
        return null;
    }
}

static int parsePort(String text) {
    // Integer.parseInt would accept "+80" and non-ASCII digits: check the shape first.
    if (!text.matches("[0-9]{1,5}") || Integer.parseInt(text) > 65535)
        throw new IllegalArgumentException("port must be a number from 0 to 65535, not '" + text + "'");
    return Integer.parseInt(text);
}

static InetAddress parseAddress(String text) {
    try {
        return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
        throw new IllegalArgumentException("cannot resolve address '" + text + "'");
    }
}

/** bind() and listen() in one: the OS now queues connections for us. Failing here is not a bug: say why and exit 1. */
static ServerSocket listen(Options options) {
    try {
        return new ServerSocket(options.port(), BACKLOG, options.address());
    } catch (IOException e) {
        System.err.println("Error: cannot listen on port " + options.port() + ": " + e.getMessage());
        System.exit(1);
        return null;
    }
}

static String banner(ServerSocket server) {
    var host = server.getInetAddress().getHostAddress();
    var urlHost = host.contains(":") ? "[" + host + "]" : host;
    return "Serving HTTP on %s port %d (http://%s:%d/) ...".formatted(host, server.getLocalPort(), urlHost, server.getLocalPort());
}

/** Owns one connection: handle it, then close it, whatever happens. */
static void serve(Socket client) {
    try (client) {
        handle(client);
        linger(client);
    } catch (IOException e) {
        System.err.println("Connection from " + client.getRemoteSocketAddress() + " failed: " + e.getMessage());
    }
}

static void handle(Socket client) throws IOException {
    var reader = new HeadReader(client, new BufferedInputStream(client.getInputStream()),
            System.nanoTime() + HEAD_TIMEOUT.toNanos());
    String requestLine = null;
    Request request = null;
    Response response;
    try {
        requestLine = reader.readLine(MAX_REQUEST_LINE, 414);
        if (requestLine == null) return;  // connected and closed without a word: nothing to answer
        request = readRequest(requestLine, reader);
        response = route(request);
    } catch (HttpError e) {
        response = Response.error(e.status, e.getMessage());
    } catch (SocketTimeoutException e) {
        response = Response.error(408, "The request head did not arrive within " + HEAD_TIMEOUT.toMillis() + " ms.");
    } catch (RuntimeException e) {  // our bug, not the client's: the trace goes to our log, never to the client
        e.printStackTrace();
        response = Response.error(500, "The server failed to answer this request.");
    }
    boolean headOnly = request != null && request.method().equals("HEAD");
    response.writeTo(new BufferedOutputStream(client.getOutputStream()), headOnly);
    log(client, requestLine, response.status(), headOnly ? 0 : response.body().length);
}

static Response route(Request request) {
    if (!KNOWN_METHODS.contains(request.method()))
        return Response.error(501, "This server does not implement the method " + request.method() + ".");
    if (!request.method().equals("GET") && !request.method().equals("HEAD"))
        return Response.error(405, "Only GET and HEAD are allowed here.").with("Allow", ALLOW);
    return switch (request.target()) {
        case "/" -> Response.html(200, PAGE);
        case "/test.jpg" -> new Response(200, Map.of("Content-Type", "image/jpeg"), readImage());
        default -> Response.error(404, "Nothing here by that name.");
    };
}

static byte[] readImage() {
    try {
        return Files.readAllBytes(IMAGE);
    } catch (IOException e) {  // the picture belongs with the server: missing, it is our mistake (500), not the client's
        throw new UncheckedIOException(e);
    }
}

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

/** Strips spaces and tabs at both ends, as HTTP allows around a field value; trim() would strip control characters too. */
static String trimSpaces(String text) {
    int start = 0, end = text.length();
    while (start < end && (text.charAt(start) == ' ' || text.charAt(start) == '\t')) start++;
    while (end > start && (text.charAt(end - 1) == ' ' || text.charAt(end - 1) == '\t')) end--;
    return text.substring(start, end);
}

static boolean isToken(String text) {
    return !text.isEmpty() && text.chars().allMatch(c -> c < 0x7f && (Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0));
}

/**
 * Half-closes, then reads what the client still sends until it closes too. Closing a socket with
 * unread input makes the OS send a reset, which can destroy the response before the client reads it.
 */
static void linger(Socket client) {
    try {
        client.shutdownOutput();
        client.setSoTimeout((int) LINGER_TIMEOUT.toMillis());
        client.getInputStream().skip(MAX_LINGER_BYTES);
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
