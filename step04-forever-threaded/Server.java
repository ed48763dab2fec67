///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+
//SOURCES Http.java Request.java Response.java HttpError.java HeadReader.java

// Step 4: serve forever, one thread per connection.
// New in this step: the accept loop never ends, and each connection is served on its own virtual
// thread, so a slow client no longer blocks everyone else. It serves a page and its picture.
// This file says what the server does; Http.java and the records beside it are the protocol it speaks.
// Run: ./jbang step04-forever-threaded/Server.java [port]   Try: open http://127.0.0.1:8000/ in a browser

static final String STEP = "step04-forever-threaded";     // the one name to change when this folder is copied
static final String SERVER_NAME = "workshop-" + STEP.substring(0, STEP.indexOf('-'));  // the Server header
static final int DEFAULT_PORT = 8000;
static final int BACKLOG = 1024;                    // connections the OS queues until accept(): 50 drops bursts
static final String ALLOW = "GET, HEAD";
static final Path IMAGE = Files.isDirectory(Path.of(STEP))  // run from the repository root,
        ? Path.of(STEP, "test.jpg") : Path.of("test.jpg");  // or from the step's folder
static final String PAGE = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Hello, HTTP</title></head>
        <body><h1>Hello World</h1>
        <p>This page came from a Java server you can read in one sitting. The picture below is a second request.</p>
        <img src="/test.jpg" alt="GET /test.jpg, answered 200 OK" width="320" height="180">
        </body></html>
        """;
static final String USAGE = """
        Usage: Server.java [port] [-b ADDRESS] [-h]
          port                  port to listen on (default 8000; 0 lets the OS pick a free one)
          -b, --bind ADDRESS    address to listen on (default 127.0.0.1; 0.0.0.0 means every interface)
          -h, --help            print this help and exit""";

record Options(int port, InetAddress address) {}

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

/** Owns one connection: answers its requests one after another, then closes it, whatever happens. */
static void serve(Socket client) {
    try (client) {
        var in = new BufferedInputStream(client.getInputStream());  // the head is read a byte at a time: from memory
        var out = new BufferedOutputStream(client.getOutputStream());
        while (handle(client, in, out) && Http.awaitNext(client, in)) {
            // HTTP/1.1 keeps the connection open: the client's next request comes on it (and an idle thread is cheap)
        }
    } catch (IOException e) {
        System.err.println("Connection from " + client.getRemoteSocketAddress() + " failed: " + e.getMessage());
    }
}

/** Reads one request and answers it; true if the connection stays open for another. */
static boolean handle(Socket client, InputStream in, OutputStream out) throws IOException {
    var reader = new HeadReader(client, in, System.nanoTime() + Http.HEAD_TIMEOUT.toNanos());
    String requestLine = null;
    Request request = null;
    Response response;
    try {
        requestLine = reader.readLine(Http.MAX_REQUEST_LINE, 414);
        if (requestLine == null) return false;  // the client closed without a word: nothing to answer
        request = Http.readRequest(requestLine, reader);
        response = route(request);
    } catch (HttpError e) {
        response = Response.error(e.status, e.getMessage());
    } catch (SocketTimeoutException e) {
        response = Response.error(408,
                "The request head did not arrive within " + Http.HEAD_TIMEOUT.toMillis() + " ms.");
    } catch (RuntimeException e) {  // our bug, not the client's: the trace goes to our log, never to the client
        e.printStackTrace();
        response = Response.error(500, "The server failed to answer this request.");
    }
    boolean complete = request != null && !Http.hasBody(request);  // nothing of this request is left unread
    boolean keepAlive = complete && Http.keepAlive(request);       // and the client wants the connection kept
    response.writeTo(out, request, keepAlive, SERVER_NAME);
    Http.log(client, requestLine, response.status(), Http.isHead(request) ? 0 : response.body().length);
    if (!complete) Http.linger(client, in);
    return keepAlive;
}

static Response route(Request request) {
    if (!Http.KNOWN_METHODS.contains(request.method()))
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
    } catch (IOException e) {  // the picture belongs with the server: missing, it is our mistake (500)
        throw new UncheckedIOException(e);
    }
}

// The command line: options, then bind and listen. Read it last; it is the same in every step.

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
    int port = server.getLocalPort();
    return "Serving HTTP on %s port %d (http://%s:%d/) ...".formatted(host, port, urlHost, port);
}
