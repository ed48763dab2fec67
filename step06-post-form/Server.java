///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+
//SOURCES Http.java Request.java Response.java Body.java RequestBody.java HttpError.java HeadReader.java

// Step 6: an HTML form, and the POST method that sends it.
// New in this step: the client sends data in a request body. The body is exactly Content-Length bytes,
// refused from the head alone when we would not take it; the form's fields are decoded and shown, escaped.
// This file says what the server does; Http.java and the records beside it are the protocol it speaks.
// Run: ./jbang step06-post-form/Server.java [port] [-d DIR]   Try: open http://127.0.0.1:8000/ and send the form

static final String STEP = "step06-post-form";      // the one name to change when this folder is copied
static final String SERVER_NAME = "workshop-" + STEP.substring(0, STEP.indexOf('-'));  // the Server header
static final int DEFAULT_PORT = 8000;
static final int BACKLOG = 1024;                    // connections the OS queues until accept(): 50 drops bursts
static final String ALLOW = "GET, HEAD";
static final String FORM_PATH = "/greet";           // where index.html's form goes; every other path names a file
static final String FORM_ALLOW = "GET, HEAD, POST";
static final int MAX_BODY_BYTES = 1 << 20;          // a larger form gets 413 from its head, not an OutOfMemoryError
static final int MAX_FIELDS = 100;                  // a form of 1 MiB of "a&" would be 524,288 fields: 413
static final int MAX_SHOWN = 200;                   // characters of a value the answer echoes: 1 MiB in, not 12 MB out
static final Path DEFAULT_ROOT = Files.isDirectory(Path.of(STEP))  // run from the repository root,
        ? Path.of(STEP, "www") : Path.of("www");                     // or from the step's folder
static final Map<String, String> CONTENT_TYPES = Map.ofEntries(  // our own table: the same answer on every OS
        Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
        Map.entry("css", "text/css; charset=utf-8"), Map.entry("js", "text/javascript; charset=utf-8"),
        Map.entry("txt", "text/plain; charset=utf-8"), Map.entry("md", "text/markdown; charset=utf-8"),
        Map.entry("csv", "text/csv; charset=utf-8"), Map.entry("json", "application/json"),
        Map.entry("svg", "image/svg+xml"), Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"),
        Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"), Map.entry("ico", "image/vnd.microsoft.icon"),
        Map.entry("webp", "image/webp"), Map.entry("pdf", "application/pdf"), Map.entry("wasm", "application/wasm"));
static final String USAGE = """
        Usage: Server.java [port] [-b ADDRESS] [-d DIRECTORY] [-h]
          port                  port to listen on (default 8000; 0 lets the OS pick a free one)
          -b, --bind ADDRESS    address to listen on (default 127.0.0.1; 0.0.0.0 means every interface)
          -d, --directory DIR   folder to serve (default: this step's www/)
          -h, --help            print this help and exit""";

record Options(int port, InetAddress address, Path root) {}

/** One name=value pair of a form, decoded. A form may repeat a name, so a form is a list of these. */
record Field(String name, String value) {}

void main(String[] args) throws IOException, InterruptedException {
    var options = parseOptions(args);
    try (var server = listen(options)) {
        IO.println(banner(server));
        IO.println("Document root: " + options.root());
        while (true) {
            try {
                var client = server.accept();
                Thread.ofVirtual().start(() -> serve(client, options.root()));  // straight back to accept()
            } catch (IOException e) {  // out of file descriptors, say: those connected are still served, and close
                System.err.println("Cannot accept a connection: " + e.getMessage());
                Thread.sleep(100);  // give them time to, rather than spin
            }
        }
    }
}

/** Owns one connection: answers its requests one after another, then closes it, whatever happens. */
static void serve(Socket client, Path root) {
    try (client) {
        var in = new BufferedInputStream(client.getInputStream());  // the head is read a byte at a time: from memory
        var out = new BufferedOutputStream(new Http.DeadlineOutput(client));  // a client that stops reading: reset
        while (handle(client, in, out, root) && Http.awaitNext(client, in)) {
            // HTTP/1.1 keeps the connection open: the client's next request comes on it (and an idle thread is cheap)
        }
    } catch (IOException e) {
        System.err.println("Connection from " + client.getRemoteSocketAddress() + " failed: " + e.getMessage());
    }
}

/** Reads one request and answers it; true if the connection stays open for another. */
static boolean handle(Socket client, InputStream in, OutputStream out, Path root) throws IOException {
    var reader = new HeadReader(client, in, System.nanoTime() + Http.HEAD_TIMEOUT.toNanos());
    String requestLine = null;
    Request request = null;
    RequestBody body = null;
    Response response;
    try {
        requestLine = reader.readLine(Http.MAX_REQUEST_LINE, 414);
        if (requestLine == null) return false;  // the client closed without a word: nothing to answer
        request = Http.readRequest(requestLine, reader);
        body = new RequestBody(reader, out, request, Http.contentLength(request));  // framed always, read or not
        response = route(request, body, root);
    } catch (HttpError e) {
        response = Response.error(e.status, e.getMessage());
    } catch (SocketTimeoutException e) {
        response = Response.error(408,
                "The request head did not arrive within " + Http.HEAD_TIMEOUT.toMillis() + " ms.");
    } catch (RuntimeException e) {  // our bug, not the client's: the trace goes to our log, never to the client
        e.printStackTrace();
        response = Response.error(500, "The server failed to answer this request.");
    }
    // Nothing of this request is left unread. After a 411 we cannot know: a body of unknown length may follow.
    boolean complete = body != null && body.finished() && response.status() != 411;
    boolean keepAlive = complete && Http.keepAlive(request);   // and the client wants the connection kept
    response.writeTo(out, request, keepAlive, SERVER_NAME);
    Http.log(client, requestLine, response.status(), Http.isHead(request) ? 0 : response.body().length());
    if (!complete) Http.linger(client, in);
    return keepAlive;
}

/**
 * Only the form reads a body. Anywhere else a body (a GET may carry one) stays unread: the response closes
 * the connection and linger() drops it, so it can never be taken for a next request.
 */
static Response route(Request request, RequestBody body, Path root) throws IOException, HttpError {
    if (!Http.KNOWN_METHODS.contains(request.method()))
        return Response.error(501, "This server does not implement the method " + request.method() + ".");
    var parts = request.target().split("#", 2)[0].split("\\?", 2);  // path?query#fragment
    if (parts[0].equals(FORM_PATH)) return greet(request, parts.length == 2 ? parts[1] : "", body);
    if (!request.method().equals("GET") && !request.method().equals("HEAD"))
        return Response.error(405, "Only GET and HEAD are allowed here.").with("Allow", ALLOW);
    var path = decodePath(parts[0]);
    var file = locate(root, path);
    if (Files.isDirectory(file)) {
        if (!path.endsWith("/")) {  // else a browser resolves the page's relative links against the parent folder
            // Our checked path, encoded again: never the client's text, so never //host (another server). The query
            // is the client's, but readRequest let only visible ASCII through: no CR LF to forge a header line.
            var query = parts.length == 2 ? "?" + parts[1] : "";
            return new Response(301, Map.of("Location", Http.encodePath(path) + "/" + query), Body.EMPTY);
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
    var path = Http.percentDecode(target, "path");
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
    } catch (IOException | InvalidPathException e) {  // missing, a file as a folder, a link loop, a bad name
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
                .forEach(name -> items.append("<li><a href=\"%s\">%s</a></li>\n"
                        .formatted(Http.encodePath(name), Http.escapeHtml(name))));
    } catch (AccessDeniedException e) {
        throw new HttpError(403, "This folder may not be listed.");
    } catch (IOException e) {  // the disk failed us, not the client: a 500, with the trace in our log
        throw new UncheckedIOException(e);
    }
    var title = "Directory listing for " + Http.escapeHtml(path);
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
        var modified = Files.getLastModifiedTime(file).toInstant()
                .truncatedTo(ChronoUnit.SECONDS);  // HTTP dates have whole seconds
        var lastModified = Http.HTTP_DATE.format(modified);
        if (notModifiedSince(request.header("If-Modified-Since"), modified))
            return new Response(304, Map.of("Last-Modified", lastModified), Body.EMPTY);
        return new Response(200, Map.of("Content-Type", contentType(file)), new Body.FileBody(file, Files.size(file)))
                .with("Last-Modified", lastModified);
    } catch (IOException e) {  // the disk failed us, not the client: a 500, with the trace in our log
        throw new UncheckedIOException(e);
    }
}

static boolean notModifiedSince(String since, Instant modified) {
    if (since == null) return false;
    try {
        return !modified.isAfter(Http.HTTP_DATE.parse(since, Instant::from));
    } catch (DateTimeException e) {  // a date we cannot read is ignored (RFC 9110 §13.1.3): send the file
        return false;
    }
}

static String contentType(Path file) {
    var name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    var extension = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);  // in Turkish, "GIF" -> "gıf"
    return CONTENT_TYPES.getOrDefault(extension, "application/octet-stream");
}

/**
 * The form's handler: its fields come in the query of a GET, or in the body of a POST. Every refusal is
 * decided from the head, before a 100 Continue invites the body or a byte of it is read.
 */
static Response greet(Request request, String query, RequestBody body) throws IOException, HttpError {
    if (request.method().equals("GET") || request.method().equals("HEAD"))
        return greeting("GET", query);  // HEAD gets GET's headers
    if (!request.method().equals("POST"))
        return Response.error(405, "Only GET, HEAD and POST are allowed here.").with("Allow", FORM_ALLOW);
    if (body.length() < 0) throw new HttpError(411, "A POST needs a Content-Length.");
    if (body.length() > MAX_BODY_BYTES) throw new HttpError(413, "The body is over " + MAX_BODY_BYTES + " bytes.");
    var type = request.header("Content-Type");  // parameters such as "; charset=UTF-8" may follow
    if (type == null || !type.matches("(?i)application/x-www-form-urlencoded[ \t]*(;.*)?"))
        throw new HttpError(415, "This form takes application/x-www-form-urlencoded only.");
    var form = Http.readBody(body);  // a 100 Continue first, if the client waits for one
    return greeting("POST", new String(form, StandardCharsets.ISO_8859_1));  // a char a byte: percentDecode reads UTF-8
}

/** The page that answers the form. Every name and value the client sent is escaped on its way into the HTML. */
static Response greeting(String method, String form) throws HttpError {
    var fields = parseForm(form);
    var name = fields.stream().filter(field -> field.name().equals("firstname"))
            .map(Field::value).findFirst().orElse("");
    var rows = new StringBuilder();
    for (var field : fields)
        rows.append("<tr><th>%s</th><td>%s</td></tr>\n"
                .formatted(Http.escapeHtml(shown(field.name())), Http.escapeHtml(shown(field.value()))));
    return Response.html(200, """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Hello</title>
            <link rel="stylesheet" href="/style.css"></head>
            <body><h1>Hello, %s!</h1>
            <p>You sent these fields with %s:</p>
            <table>
            %s</table>
            <p><a href="/">Back to the form</a></p>
            </body></html>
            """.formatted(Http.escapeHtml(shown(name)), method, rows));
}

/** What the answer echoes of a name or value: at most MAX_SHOWN characters, so an answer stays small. */
static String shown(String text) {
    return text.length() <= MAX_SHOWN ? text : text.substring(0, MAX_SHOWN) + "… (" + text.length() + " characters)";
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
        if (fields.size() == MAX_FIELDS) throw new HttpError(413, "The form has more than " + MAX_FIELDS + " fields.");
        int equals = pair.indexOf('=');
        var name = equals < 0 ? pair : pair.substring(0, equals);
        var value = equals < 0 ? "" : pair.substring(equals + 1);
        fields.add(new Field(Http.percentDecode(name.replace('+', ' '), "form"),
                Http.percentDecode(value.replace('+', ' '), "form")));
    }
    return fields;
}

// The command line: options, then bind and listen. Read it last; it is the same in every step.

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
        throw new IllegalArgumentException(
                "no www/ folder here: run from the repository root or " + STEP + "/, or pass -d DIR");
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
    int port = server.getLocalPort();
    return "Serving HTTP on %s port %d (http://%s:%d/) ...".formatted(host, port, urlHost, port);
}
