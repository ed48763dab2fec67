///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+
//SOURCES Http.java Request.java Response.java Body.java RequestBody.java HttpError.java HeadReader.java BodyReader.java
//SOURCES App.java JdkEngine.java
//SOURCES Apps.java Web.java ErrorPage.java Middleware.java Cgi.java Broken.java

// Step 8: a gateway between the server and the application, as Python's WSGI is.
// New in this step: the server no longer knows what the application does. It turns each request into an
// environ map, calls an App with it, and sends the status, headers and body chunks the App gives back.
// App.java is the contract. The apps (the last SOURCES line) are compiled beside the server but never named by
// it: --app finds one by its name at run time. JdkEngine.java runs the same apps on the JDK's own HTTP server.
// Run: ./jbang step08-gateway/Server.java [port] [--app NAME]   Try: --app all, then open http://127.0.0.1:8000/

static final String STEP = "step08-gateway";        // the one name to change when this folder is copied
static final String SERVER_NAME = "workshop-" + STEP.substring(0, STEP.indexOf('-'));  // the Server header
static final int DEFAULT_PORT = 8000;
static final int BACKLOG = 1024;                    // connections the OS queues until accept(): 50 drops bursts
static final int MAX_BODY_BYTES = 1 << 20;          // a larger body gets 413 from its head, not an OutOfMemoryError
static final Path DEFAULT_ROOT = Files.isDirectory(Path.of(STEP))  // run from the repository root,
        ? Path.of(STEP, "www") : Path.of("www");                     // or from the step's folder
static final Path DEFAULT_DATA = Files.isDirectory(Path.of(STEP))  // the todo app's items, found the same way
        ? Path.of(STEP, "todo.txt") : Path.of("todo.txt");
static final String DEFAULT_APP = "site";
// The server is compiled without any app, so it cannot name one. It names this class, as text, and loads it when
// it starts, as a servlet container loads the class its web.xml names, or gunicorn imports "module:app".
static final String APP_CATALOG = "Apps";
static final Set<String> NOT_PASSED = Set.of(       // request fields that get no HTTP_ variable:
        "authorization", "proxy-authorization",     // credentials stay with the server (RFC 3875 §4.1.18),
        "proxy",                                    // HTTP_PROXY would pass for a proxy setting ("httpoxy"),
        "content-type", "content-length");          // and these two are CONTENT_TYPE and CONTENT_LENGTH
static final String USAGE = """
        Usage: Server.java [port] [-b ADDRESS] [-d DIRECTORY] [--app NAME] [--engine ENGINE] [--data FILE] [-h]
          port                  port to listen on (default 8000; 0 lets the OS pick a free one)
          -b, --bind ADDRESS    address to listen on (default 127.0.0.1; 0.0.0.0 means every interface)
          -d, --directory DIR   folder to serve (default: this step's www/)
          --app NAME            the application to call for each request (default site; the list is below)
          --engine ENGINE       the HTTP server that calls it: ours (default) or jdk (com.sun.net.httpserver)
          --data FILE           where the todo app keeps its items (default: todo.txt beside this file)
          -h, --help            print this help and exit""";

record Options(int port, InetAddress address, Path root, App.Named app, String engine, Path data) {}

void main(String[] args) throws IOException, InterruptedException {
    var options = parseOptions(args);
    var app = options.app().make().apply(new App.Settings(options.root(), options.data()));  // the server meets it
    if (options.engine().equals("jdk")) {
        serveWithJdk(options, app);
        return;
    }
    try (var server = listen(options)) {
        IO.println(banner((InetSocketAddress) server.getLocalSocketAddress()));
        IO.println("App: " + options.app().name() + " on our server, document root: " + options.root());
        while (true) {
            try {
                var client = server.accept();
                Thread.ofVirtual().start(() -> serve(client, app));  // straight back to accept()
            } catch (IOException e) {  // out of file descriptors, say: those connected are still served, and close
                System.err.println("Cannot accept a connection: " + e.getMessage());
                Thread.sleep(100);  // give them time to, rather than spin
            }
        }
    }
}

/** Owns one connection: answers its requests one after another, then closes it, whatever happens. */
static void serve(Socket client, App app) {
    try (client) {
        var in = new BufferedInputStream(client.getInputStream());  // the head is read a byte at a time: from memory
        var out = new BufferedOutputStream(new Http.DeadlineOutput(client));  // a client that stops reading: reset
        while (handle(client, in, out, app) && Http.awaitNext(client, in)) {
            // HTTP/1.1 keeps the connection open: the client's next request comes on it (and an idle thread is cheap)
        }
    } catch (IOException e) {
        System.err.println("Connection from " + client.getRemoteSocketAddress() + " failed: " + e.getMessage());
    }
}

/** Reads one request and answers it; true if the connection stays open for another. */
static boolean handle(Socket client, InputStream in, OutputStream out, App app) throws IOException {
    var reader = new HeadReader(client, in, System.nanoTime() + Http.HEAD_TIMEOUT.toNanos());
    String requestLine = null;
    Request request = null;
    RequestBody body = null;
    Response response;
    try {
        requestLine = reader.readLine(Http.MAX_REQUEST_LINE, 414);
        if (requestLine == null) return false;  // the client closed without a word: nothing to answer
        request = Http.readRequest(requestLine, reader);
        var input = body = new RequestBody(reader, out, request, Http.contentLength(request));  // framed, read or not
        var local = (InetSocketAddress) client.getLocalSocketAddress();
        var remote = (InetSocketAddress) client.getRemoteSocketAddress();
        response = route(request, (asked, length) -> Http.readBody(input), local, remote, app);
    } catch (HttpError e) {
        response = Response.error(e.status, e.getMessage());
    } catch (SocketTimeoutException e) {
        response = Response.error(408,
                "The request head did not arrive within " + Http.HEAD_TIMEOUT.toMillis() + " ms.");
    } catch (RuntimeException e) {  // our bug or the app's, not the client's: the trace goes to our log, never to it
        e.printStackTrace();
        response = Response.error(500, "The server failed to answer this request.");
    }
    // Nothing of this request is left unread. After a 411 we cannot know: a body of unknown length may follow.
    boolean complete = body != null && body.finished() && response.status() != 411;
    boolean keepAlive = complete && Http.keepAlive(request);   // and the client wants the connection kept
    try (var content = response.body()) {  // the app's file or process is released, whatever happens
        keepAlive = response.writeTo(out, request, keepAlive, SERVER_NAME);  // unless only a close can end the body
    } catch (IOException e) {  // a body cut short: a reset, not a close, or the client would take it for all of it
        client.setSoLinger(true, 0);
        throw e;
    }
    long sent = Http.isHead(request) ? 0 : response.body().sent();
    Http.log(client.getInetAddress(), requestLine, response.status(), sent);
    if (!complete) Http.linger(client, in);
    return keepAlive;
}

/**
 * What is left of routing in the server: it refuses what no app could take, reads a POST's body (in memory, as
 * step 6 did), and calls the app. Which path means what is the app's business now. Both engines come here.
 */
static Response route(Request request, BodyReader reader, InetSocketAddress local, InetSocketAddress remote, App app)
        throws IOException, HttpError {
    if (!Http.KNOWN_METHODS.contains(request.method()))
        return Response.error(501, "This server does not implement the method " + request.method() + ".");
    long length = Http.contentLength(request);  // checked on every request, read or not
    if (request.target().equals("*"))  // OPTIONS *: a question to the server itself; no app has a path for it
        return new Response(200, Map.of(), Body.EMPTY);
    var body = request.method().equals("POST") || length > 0 ? receiveBody(request, length, reader) : new byte[0];
    return call(app, environ(request, local, remote, body));
}

/**
 * The request as an app sees it: the meta-variables step 7 gave a script (RFC 3875 §4.1), now a map, and the
 * gateway's own keys (see App.java). The CGI app passes them on to a script as they are.
 */
static Map<String, Object> environ(Request request, InetSocketAddress local, InetSocketAddress remote, byte[] body)
        throws HttpError {
    var parts = request.target().split("#", 2)[0].split("\\?", 2);  // path?query#fragment
    var environ = new HashMap<String, Object>();
    environ.put("SERVER_SOFTWARE", SERVER_NAME);
    environ.put("SERVER_NAME", local.getAddress().getHostAddress());
    environ.put("SERVER_PORT", String.valueOf(local.getPort()));
    environ.put("SERVER_PROTOCOL", request.version());
    environ.put("REQUEST_METHOD", request.method());
    environ.put("SCRIPT_NAME", "");  // the app is at the top; a middleware that mounts it moves a prefix here
    environ.put("PATH_INFO", decodePath(parts[0]));  // decoded and checked once, here, for every app
    environ.put("QUERY_STRING", parts.length == 2 ? parts[1] : "");  // as sent, still percent-encoded
    environ.put("REMOTE_ADDR", remote.getAddress().getHostAddress());
    environ.put("REMOTE_PORT", String.valueOf(remote.getPort()));
    environ.put("CONTENT_LENGTH", body.length > 0 ? String.valueOf(body.length) : "");
    environ.put("CONTENT_TYPE", body.length > 0 ? Objects.requireNonNullElse(request.header("Content-Type"), "") : "");
    request.headers().forEach((name, values) -> {
        // X-A and X_A would both be HTTP_X_A, so a name with anything but letters, digits and dashes is dropped.
        if (name.matches("[A-Za-z0-9-]+") && !NOT_PASSED.contains(name.toLowerCase(Locale.ROOT)))
            environ.put("HTTP_" + name.toUpperCase(Locale.ROOT).replace('-', '_'), String.join(", ", values));
    });
    environ.put("gateway.input", new ByteArrayInputStream(body));
    environ.put("gateway.file_wrapper", (Function<Path, Iterable<byte[]>>) Body.FileWrapper::of);
    environ.put("gateway.errors", System.err);
    environ.put("gateway.url_scheme", "http");
    environ.put("gateway.version", List.of(1, 0));
    environ.put("gateway.multithread", true);
    return environ;
}

/**
 * The server's side of the contract: calls the app, then takes its first chunk. Nothing is sent before that, so
 * an app that fails early gets a plain 500. The status lives in this call's own variable: the seed's WSGIServer
 * kept it on the server object, where two requests at once overwrite each other's.
 */
static Response call(App app, Map<String, Object> environ) throws IOException {
    record Started(String status, List<Map.Entry<String, String>> headers) {}
    var started = new AtomicReference<Started>();
    Iterable<byte[]> body;
    try {
        body = app.call(environ, (status, headers) -> started.set(new Started(status, List.copyOf(headers))));
    } catch (RuntimeException e) {
        throw e;
    } catch (Exception e) {  // an app's IOException is its failure, not the connection's: a 500 as well
        throw new IllegalStateException("the app failed: " + e, e);
    }
    try {
        boolean file = body instanceof Body.FileWrapper;  // the server's own file_wrapper: sent through one buffer
        var chunks = file ? Collections.<byte[]>emptyIterator() : body.iterator();
        boolean empty = !chunks.hasNext();
        var first = empty ? new byte[0] : chunks.next();
        var response = started.get();
        // The rules the server needs even without validate(): a status it can send, and each header's bytes.
        App.rule(response != null, "startResponse is called before the body ends");
        App.rule(App.STATUS.matcher(response.status()).matches(),
                "the status is 'NNN Reason', like '200 OK', not '" + response.status() + "'");
        long length = empty || chunkCount(body) == 1 ? first.length : -1;  // one chunk: its size is the body's
        var headers = new LinkedHashMap<String, String>();
        for (var header : response.headers()) {
            App.checkHeader(header);
            if (header.getKey().equalsIgnoreCase("Content-Length")) {
                App.rule(header.getValue().matches("[0-9]{1,18}"), "Content-Length is a number");
                length = Long.parseLong(header.getValue());
            } else {
                headers.merge(header.getKey(), header.getValue(), (a, b) -> a + ", " + b);
            }
        }
        return new Response(Integer.parseInt(response.status().substring(0, 3)), response.status().substring(4),
                headers, file ? (Body) body : new Body.Chunks(first, chunks, length, body, new AtomicLong()));
    } catch (RuntimeException e) {
        if (body instanceof Closeable closeable) closeable.close();
        throw e;
    }
}

/** How many chunks a body has, where that is known without running the app: a List's size, seen through wrappers. */
static int chunkCount(Iterable<byte[]> body) {
    return switch (body) {
        case Collection<?> list -> list.size();
        case App.Watched watched -> chunkCount(watched.body);
        default -> -1;
    };
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
 * A POST's body, for every app: refused from the head alone if it has no length or too large a one, then read
 * by the engine's BodyReader.
 */
static byte[] receiveBody(Request request, long length, BodyReader reader) throws IOException, HttpError {
    if (length < 0) throw new HttpError(411, "A POST needs a Content-Length.");
    if (length > MAX_BODY_BYTES) throw new HttpError(413, "The body is larger than " + MAX_BODY_BYTES + " bytes.");
    return reader.read(request, (int) length);
}

/** The same app on com.sun.net.httpserver (JdkEngine.java), through the same route(). */
static void serveWithJdk(Options options, App app) {
    var logged = JdkEngine.accessLog(app);  // the JDK's server writes no access log: a middleware writes ours
    try {
        var address = JdkEngine.serve(new InetSocketAddress(options.address(), options.port()), BACKLOG,
                (request, reader, local, remote) -> route(request, reader, local, remote, logged));
        IO.println(banner(address));
        IO.println("App: " + options.app().name() + " on the JDK's server, document root: " + options.root());
    } catch (IOException e) {
        cannotListen(options, e);
    }
}

// The command line: options, the app by its name, then bind and listen. Read it last.

static Options parseOptions(String[] args) {
    try {
        int port = DEFAULT_PORT;
        String address = "127.0.0.1";
        String directory = null;
        String app = DEFAULT_APP;
        String engine = "ours";
        Path data = DEFAULT_DATA;
        boolean portSeen = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-h", "--help" -> {
                    IO.println(USAGE + "\n" + appList());
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
                case "--app" -> {
                    if (++i == args.length) throw new IllegalArgumentException(args[i - 1] + " needs an app's name");
                    app = args[i];
                }
                case "--engine" -> {
                    if (++i == args.length) throw new IllegalArgumentException(args[i - 1] + " needs ours or jdk");
                    engine = args[i];
                }
                case "--data" -> {
                    if (++i == args.length) throw new IllegalArgumentException(args[i - 1] + " needs a file");
                    data = Path.of(args[i]);
                }
                default -> {
                    if (args[i].startsWith("-")) throw new IllegalArgumentException("unknown option '" + args[i] + "'");
                    if (portSeen) throw new IllegalArgumentException("unexpected argument '" + args[i] + "'");
                    port = parsePort(args[i]);
                    portSeen = true;
                }
            }
        }
        if (!engine.equals("ours") && !engine.equals("jdk"))
            throw new IllegalArgumentException("--engine is ours or jdk, not '" + engine + "'");
        return new Options(port, parseAddress(address), parseRoot(directory), parseApp(app), engine, data);
    } catch (IllegalArgumentException e) {
        System.err.println("Error: " + e.getMessage());
        System.err.println(USAGE + "\n" + appList());
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

/** The app --app names, looked up in the catalogue: the apps a learner runs, then the broken ones. */
static App.Named parseApp(String name) {
    var catalog = catalog();
    return Stream.concat(catalog.apps().stream(), catalog.broken().stream())
            .filter(app -> app.name().equals(name)).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("unknown app '" + name + "'"));
}

static String appList() {
    var catalog = catalog();
    var list = new StringBuilder("Apps:");
    for (var app : catalog.apps()) list.append("\n  %-20s  %s".formatted(app.name(), app.about()));
    list.append("\nBroken on purpose, each stopped by the validator under --app all (Broken.java says how):");
    var broken = catalog.broken();
    for (int i = 0; i < broken.size(); i++) list.append(i % 5 == 0 ? "\n  " : "  ").append(broken.get(i).name());
    return list.toString();
}

/** The class named APP_CATALOG, loaded by its name: the only link between the server and the apps. */
static App.Catalog catalog() {
    try {
        return (App.Catalog) Class.forName(APP_CATALOG).getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | ClassCastException e) {
        throw new IllegalStateException("no app catalogue: " + APP_CATALOG + " is not a class of App.Catalog", e);
    }
}

/** bind() and listen() in one: the OS now queues connections for us. Failing here is not a bug: say why and exit 1. */
static ServerSocket listen(Options options) {
    try {
        return new ServerSocket(options.port(), BACKLOG, options.address());
    } catch (IOException e) {
        return cannotListen(options, e);
    }
}

static <T> T cannotListen(Options options, IOException e) {
    System.err.println("Error: cannot listen on port " + options.port() + ": " + e.getMessage());
    System.exit(1);
    return null;
}

static String banner(InetSocketAddress address) {
    var host = address.getAddress().getHostAddress();
    var urlHost = host.contains(":") ? "[" + host + "]" : host;
    int port = address.getPort();
    return "Serving HTTP on %s port %d (http://%s:%d/) ...".formatted(host, port, urlHost, port);
}
