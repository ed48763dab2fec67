///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+

// Step 6: an HTML form, and the POST method that sends it.
// New in this step: the client sends data in a request body. The body is exactly Content-Length bytes,
// refused from the head alone when we would not take it; the form's fields are decoded and shown, escaped.
// Run: ./jbang step06-post-form/Server.java [port] [-d DIR]   Try: open http://127.0.0.1:8000/ and send the form

static final String SERVER_NAME = "workshop-step06";
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
static final String FORM_PATH = "/greet";           // where index.html's form goes; every other path names a file
static final String FORM_ALLOW = "GET, HEAD, POST";
static final int MAX_BODY_BYTES = 1 << 20;          // a larger body gets 413 from its head alone, not an OutOfMemoryError
static final Duration BODY_TIMEOUT =                // the whole body, like the head: 1 MiB in 10 s is 100 KiB/s
        Duration.ofMillis(Long.getLong("workshop.bodyTimeoutMillis", 10_000));  // tests shorten it
static final Path DEFAULT_ROOT = Files.exists(Path.of("step06-post-form")) // run from the repository root,
        ? Path.of("step06-post-form", "www") : Path.of("www");                // or from the step's folder
static final int BUFFER_SIZE = 64 * 1024;           // a file is sent a buffer at a time: a 3 GiB file costs 64 KiB
static final Map<String, String> CONTENT_TYPES = Map.ofEntries(  // our own table: the same answer on every OS
        Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
        Map.entry("css", "text/css; charset=utf-8"), Map.entry("js", "text/javascript; charset=utf-8"),
        Map.entry("txt", "text/plain; charset=utf-8"), Map.entry("md", "text/markdown; charset=utf-8"),
        Map.entry("csv", "text/csv; charset=utf-8"), Map.entry("json", "application/json"),
        Map.entry("svg", "image/svg+xml"), Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"),
        Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"), Map.entry("ico", "image/vnd.microsoft.icon"),
        Map.entry("webp", "image/webp"), Map.entry("pdf", "application/pdf"), Map.entry("wasm", "application/wasm"));
static final DateTimeFormatter HTTP_DATE =          // RFC_1123_DATE_TIME would write "3 Nov", HTTP wants "03 Nov"
        DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT).withZone(ZoneOffset.UTC);
static final DateTimeFormatter LOG_DATE =
        DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);
static final String USAGE = """
        Usage: Server.java [port] [-b ADDRESS] [-d DIRECTORY] [-h]
          port                  port to listen on (default 8000; 0 lets the OS pick a free one)
          -b, --bind ADDRESS    address to listen on (default 127.0.0.1; 0.0.0.0 means every interface)
          -d, --directory DIR   folder to serve (default: this step's www/)
          -h, --help            print this help and exit""";

record Options(int port, InetAddress address, Path root) {}

/** The head of one request, as parsed. Header names are case-insensitive, so the map is too. */
record Request(String method, String target, String version, Map<String, List<String>> headers) {
    String header(String name) {
        var values = headers.get(name);
        return values == null ? null : values.getFirst();
    }
}

/** One name=value pair of a form, decoded. A form may repeat a name, so a form is a list of these. */
record Field(String name, String value) {}

/** One response. writeTo is the only place that frames a response on the wire. */
record Response(int status, Map<String, String> headers, Body body) {
    static Response html(int status, String html) {
        return new Response(status, Map.of("Content-Type", "text/html; charset=utf-8"),
                new Bytes(html.getBytes(StandardCharsets.UTF_8)));
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
        if (status != 304)  // a 304 has no body, and a Content-Length there would describe the file (RFC 9110 §8.6)
            head.append("Content-Length: ").append(body.length()).append("\r\n");
        head.append("Connection: close\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (!headOnly) body.writeTo(out);
        out.flush();
    }
}

/** What follows the head: a page in memory, or a file on disk. A length is a long: files pass 2 GiB. */
interface Body {
    Body EMPTY = new Bytes(new byte[0]);

    long length();

    void writeTo(OutputStream out) throws IOException;
}

record Bytes(byte[] bytes) implements Body {
    public long length() {
        return bytes.length;
    }

    public void writeTo(OutputStream out) throws IOException {
        out.write(bytes);
    }
}

/** A file, read and sent a buffer at a time: never whole in memory, and exactly the length we announced. */
record FileBody(Path file, long length) implements Body {
    public void writeTo(OutputStream out) throws IOException {
        try (var in = Files.newInputStream(file)) {
            var buffer = new byte[(int) Math.min(length, BUFFER_SIZE)];  // a 1 KiB file needs no 64 KiB buffer
            for (long left = length; left > 0; ) {
                int n = in.read(buffer, 0, (int) Math.min(left, buffer.length));
                if (n == -1) throw new EOFException(file.getFileName() + " got shorter while it was being sent");
                out.write(buffer, 0, n);
                left -= n;
            }
        }
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
        IO.println("Document root: " + options.root());
        while (true) {
            try {
                var client = server.accept();
                Thread.ofVirtual().start(() -> serve(client, options.root()));  // the loop goes straight back to accept()
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
        String directory = null;
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
                case "-d", "--directory" -> {
                    if (++i == args.length) throw new IllegalArgumentException(args[i - 1] + " needs a folder");
                    directory = args[i];
                }
                default -> {
                    if (args[i].startsWith("-")) throw new IllegalArgumentException("unknown option '" + args[i] + "'");
                    if (portSeen) throw new IllegalArgumentException("unexpected argument '" + args[i] + "'");
                    port = parsePort(args[i]);
                    portSeen = true;
                }
            }
        }
        return new Options(port, parseAddress(address), parseRoot(directory));
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

/** The folder to serve, as its real path (symlinks resolved): every file we send must lie under it. */
static Path parseRoot(String text) {
    // Not the current folder, as python3 -m http.server does: run from the repository, that would publish .git.
    if (text == null && !Files.isDirectory(DEFAULT_ROOT))
        throw new IllegalArgumentException("no www/ folder here: run from the repository root or step06-post-form/, or pass -d DIR");
    var root = text == null ? DEFAULT_ROOT : Path.of(text);
    if (!Files.isDirectory(root)) throw new IllegalArgumentException("'" + text + "' is not a folder");
    try {
        return root.toRealPath();
    } catch (IOException e) {
        throw new IllegalArgumentException("cannot open the folder '" + root + "': " + e.getMessage());
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
static void serve(Socket client, Path root) {
    try (client) {
        handle(client, root);
        linger(client);
    } catch (IOException e) {
        System.err.println("Connection from " + client.getRemoteSocketAddress() + " failed: " + e.getMessage());
    }
}

static void handle(Socket client, Path root) throws IOException {
    var reader = new HeadReader(client, new BufferedInputStream(client.getInputStream()),
            System.nanoTime() + HEAD_TIMEOUT.toNanos());
    String requestLine = null;
    Request request = null;
    Response response;
    try {
        requestLine = reader.readLine(MAX_REQUEST_LINE, 414);
        if (requestLine == null) return;  // connected and closed without a word: nothing to answer
        request = readRequest(requestLine, reader);
        response = route(request, reader, root);
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
    log(client, requestLine, response.status(), headOnly ? 0 : response.body().length());
}

/**
 * Only the form reads a body. Anywhere else a body (a GET may carry one) stays unread: the response closes
 * the connection and linger() drops it, so it can never be taken for a next request.
 */
static Response route(Request request, HeadReader reader, Path root) throws IOException, HttpError {
    if (!KNOWN_METHODS.contains(request.method()))
        return Response.error(501, "This server does not implement the method " + request.method() + ".");
    long length = contentLength(request);  // checked on every request, read or not
    var parts = request.target().split("#", 2)[0].split("\\?", 2);  // path?query#fragment
    if (parts[0].equals(FORM_PATH)) return greet(request, parts.length == 2 ? parts[1] : "", length, reader);
    if (!request.method().equals("GET") && !request.method().equals("HEAD"))
        return Response.error(405, "Only GET and HEAD are allowed here.").with("Allow", ALLOW);
    var path = decodePath(parts[0]);
    var file = locate(root, path);
    if (Files.isDirectory(file)) {
        if (!path.endsWith("/")) {  // else the browser would resolve the page's relative links against the parent folder
            // Our checked path, encoded again: never the client's text, so never //host (another server). The query
            // is the client's, but readRequest let only visible ASCII through: no CR LF to forge a header line.
            var query = parts.length == 2 ? "?" + parts[1] : "";
            return new Response(301, Map.of("Location", encodePath(path) + "/" + query), Body.EMPTY);
        }
        if (!Files.exists(file.resolve("index.html"))) return listing(path, file);
        file = locate(root, path + "index.html");
    } else if (path.endsWith("/")) {
        throw new HttpError(404, "Nothing here by that name.");  // a file is not a folder
    }
    return sendFile(request, file);
}

/**
 * The target's path, percent-decoded once (UTF-8), then checked name by name (the seeds' open(title[1:]) opened
 * /../../etc/passwd). Decoding before checking means %2e%2e is seen as the ".." it is; decoding once means
 * %252e%252e is a file named "%2e%2e".
 */
static String decodePath(String target) throws HttpError {
    var path = percentDecode(target, "path");
    // A NUL ends a name for the OS, not for Java; on Windows \ separates names and C: names a drive.
    if (path.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '\\' || c == ':'))
        throw new HttpError(400, "The path holds a control character, a backslash or a colon.");
    var names = path.substring(1).split("/", -1);  // "/docs/" gives "docs" and "": only the last name may be empty
    for (int i = 0; i < names.length; i++) {
        if (names[i].equals(".") || names[i].equals("..") || (names[i].isEmpty() && i < names.length - 1))
            throw new HttpError(400, "The path holds an empty, '.' or '..' name.");
        if (names[i].startsWith(".")) throw new HttpError(404, "Nothing here by that name.");  // hidden: .git, .env
    }
    return path;
}

/** %XX escapes to bytes, once, then the bytes as UTF-8. Each char of text below 256 is taken as one byte. */
static String percentDecode(String text, String what) throws HttpError {
    var bytes = new ByteArrayOutputStream();
    for (int i = 0; i < text.length(); i++) {
        int b = text.charAt(i);
        if (b == '%') {
            if (i + 2 >= text.length()
                    || !HexFormat.isHexDigit(text.charAt(i + 1)) || !HexFormat.isHexDigit(text.charAt(i + 2)))
                throw new HttpError(400, "A % in the " + what + " is not followed by two hex digits.");
            b = HexFormat.fromHexDigits(text, i + 1, i + 3);
            i += 2;
        }
        bytes.write(b);
    }
    try {  // a decoder that reports bad UTF-8 (like %c0%ae, an overlong ".") rather than replacing it
        return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
    } catch (CharacterCodingException e) {
        throw new HttpError(400, "The " + what + " is not valid UTF-8.");
    }
}

/**
 * Where the bytes of a checked path really are (symlinks followed), if that is inside the root and not
 * hidden. Path.startsWith compares whole names: /srv/www2 is not inside /srv/www (String.startsWith would say it is).
 */
static Path locate(Path root, String path) throws HttpError {
    Path file;
    try {
        file = root.resolve(path.substring(1)).toRealPath();
    } catch (AccessDeniedException e) {
        throw new HttpError(403, "This may not be read.");
    } catch (IOException | InvalidPathException e) {  // missing, a file used as a folder, a symlink loop, a name the OS refuses
        throw new HttpError(404, "Nothing here by that name.");
    }
    if (!file.startsWith(root)) throw new HttpError(404, "Nothing here by that name.");
    for (var name : root.relativize(file))  // nor is a hidden file reached through a symlink
        if (name.toString().startsWith(".")) throw new HttpError(404, "Nothing here by that name.");
    return file;
}

/** A folder without index.html: links to what it holds, each name escaped as text and percent-encoded as a link. */
static Response listing(String path, Path folder) throws HttpError {
    var items = new StringBuilder(path.equals("/") ? "" : "<li><a href=\"../\">../</a></li>\n");
    try (var entries = Files.list(folder)) {
        entries.map(entry -> entry.getFileName() + (Files.isDirectory(entry) ? "/" : ""))
                .filter(name -> !name.startsWith("."))
                .sorted()
                .forEach(name -> items.append("<li><a href=\"%s\">%s</a></li>\n".formatted(encodePath(name), escapeHtml(name))));
    } catch (AccessDeniedException e) {
        throw new HttpError(403, "This folder may not be listed.");
    } catch (IOException e) {  // the disk failed us, not the client: a 500, with the trace in our log
        throw new UncheckedIOException(e);
    }
    var title = "Directory listing for " + escapeHtml(path);
    return Response.html(200, """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>%s</title></head>
            <body><h1>%s</h1>
            <ul>
            %s</ul>
            </body></html>
            """.formatted(title, title, items));
}

/** A regular file we may read: 200 and its bytes, or 304 when the client's copy is as new as the file. */
static Response sendFile(Request request, Path file) throws HttpError {
    // A FIFO or a device is no file to send: opening a FIFO blocks until someone writes into it.
    if (!Files.isRegularFile(file)) throw new HttpError(404, "Nothing here by that name.");
    if (!Files.isReadable(file)) throw new HttpError(403, "This may not be read.");
    try {
        var modified = Files.getLastModifiedTime(file).toInstant().truncatedTo(ChronoUnit.SECONDS);  // HTTP dates have seconds
        var lastModified = HTTP_DATE.format(modified);
        if (notModifiedSince(request.header("If-Modified-Since"), modified))
            return new Response(304, Map.of("Last-Modified", lastModified), Body.EMPTY);
        return new Response(200, Map.of("Content-Type", contentType(file)), new FileBody(file, Files.size(file)))
                .with("Last-Modified", lastModified);
    } catch (IOException e) {  // the disk failed us, not the client: a 500, with the trace in our log
        throw new UncheckedIOException(e);
    }
}

static boolean notModifiedSince(String since, Instant modified) {
    if (since == null) return false;
    try {
        return !modified.isAfter(HTTP_DATE.parse(since, Instant::from));
    } catch (DateTimeException e) {  // a date we cannot read is ignored (RFC 9110 §13.1.3): send the file
        return false;
    }
}

static String contentType(Path file) {
    var name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    var extension = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);  // in Turkish, "GIF" would become "gıf"
    return CONTENT_TYPES.getOrDefault(extension, "application/octet-stream");
}

/**
 * The form's handler: its fields come in the query of a GET, or in the body of a POST. Every refusal is
 * decided from the head, before a 100 Continue invites the body or a byte of it is read.
 */
static Response greet(Request request, String query, long length, HeadReader reader) throws IOException, HttpError {
    if (request.method().equals("GET") || request.method().equals("HEAD")) return greeting("GET", query);  // HEAD: GET's headers
    if (!request.method().equals("POST"))
        return Response.error(405, "Only GET, HEAD and POST are allowed here.").with("Allow", FORM_ALLOW);
    if (length < 0) throw new HttpError(411, "A POST needs a Content-Length.");
    if (length > MAX_BODY_BYTES) throw new HttpError(413, "The body is larger than " + MAX_BODY_BYTES + " bytes.");
    var type = request.header("Content-Type");  // parameters such as "; charset=UTF-8" may follow
    if (type == null || !type.matches("(?i)application/x-www-form-urlencoded[ \t]*(;.*)?"))
        throw new HttpError(415, "This form takes application/x-www-form-urlencoded only.");
    if (request.version().equals("HTTP/1.1") && "100-continue".equalsIgnoreCase(request.header("Expect")))
        writeContinue(reader.client().getOutputStream());  // the client holds its body back until it reads this
    var body = readBody(reader, (int) length);
    return greeting("POST", new String(body, StandardCharsets.ISO_8859_1));  // a char per byte: percentDecode reads UTF-8
}

/** The page that answers the form. Every name and value the client sent is escaped on its way into the HTML. */
static Response greeting(String method, String form) throws HttpError {
    var fields = parseForm(form);
    var name = fields.stream().filter(field -> field.name().equals("firstname")).map(Field::value).findFirst().orElse("");
    var rows = new StringBuilder();
    for (var field : fields)
        rows.append("<tr><th>%s</th><td>%s</td></tr>\n".formatted(escapeHtml(field.name()), escapeHtml(field.value())));
    return Response.html(200, """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Hello</title><link rel="stylesheet" href="/style.css"></head>
            <body><h1>Hello, %s!</h1>
            <p>You sent these fields with %s:</p>
            <table>
            %s</table>
            <p><a href="/">Back to the form</a></p>
            </body></html>
            """.formatted(escapeHtml(name), method, rows));
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
 * Exactly length bytes, in however many pieces they arrive, within BODY_TIMEOUT. Like readNBytes, with a
 * deadline for the whole body: a client dripping a byte a second cannot hold the connection for days.
 */
static byte[] readBody(HeadReader reader, int length) throws IOException, HttpError {
    var body = new byte[length];
    long deadline = System.nanoTime() + BODY_TIMEOUT.toNanos();
    try {
        for (int n = 0; n < length; ) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) throw new SocketTimeoutException("request body deadline passed");
            reader.client().setSoTimeout((int) left);
            int read = reader.in().read(body, n, length - n);  // the same buffered stream: it may hold the body's start
            if (read == -1) throw new HttpError(400, "The body ended after " + n + " of its " + length + " bytes.");
            n += read;
        }
    } catch (SocketTimeoutException e) {
        throw new HttpError(408, "The request body did not arrive within " + BODY_TIMEOUT.toMillis() + " ms.");
    }
    return body;
}

/**
 * application/x-www-form-urlencoded: name=value pairs joined by &, + for a space, %XX for a byte of UTF-8.
 * The value starts after the first =; a name without = has an empty value. + becomes a space before the
 * escapes are decoded, so %2B stays a +.
 */
static List<Field> parseForm(String form) throws HttpError {
    var fields = new ArrayList<Field>();
    for (var pair : form.split("&")) {
        if (pair.isEmpty()) continue;  // "a=1&&b=2", or a trailing &
        int equals = pair.indexOf('=');
        var name = equals < 0 ? pair : pair.substring(0, equals);
        var value = equals < 0 ? "" : pair.substring(equals + 1);
        fields.add(new Field(percentDecode(name.replace('+', ' '), "form"), percentDecode(value.replace('+', ' '), "form")));
    }
    return fields;
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

/** An interim response: a status line and no headers; the final response follows on the same connection. */
static void writeContinue(OutputStream out) throws IOException {
    out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
}

static String reason(int status) {
    return switch (status) {
        case 200 -> "OK";
        case 301 -> "Moved Permanently";
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
        case 505 -> "HTTP Version Not Supported";
        default -> "Unknown";
    };
}

static String escapeHtml(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\"", "&quot;").replace("'", "&#39;");
}

/** Percent-encodes each UTF-8 byte of a path except unreserved characters and /: safe in an href and in a Location. */
static String encodePath(String path) {
    var out = new StringBuilder();
    for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
        boolean unreserved = b >= 0 && (Character.isLetterOrDigit(b) || "-._~/".indexOf(b) >= 0);  // b < 0: not ASCII
        out.append(unreserved ? String.valueOf((char) b) : "%%%02X".formatted(b & 0xff));
    }
    return out.toString();
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
