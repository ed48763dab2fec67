///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+
//SOURCES Http.java Request.java Response.java HttpError.java HeadReader.java

// Step 3: Hello World over HTTP, written by hand.
// New in this step: the bytes on the socket are an HTTP request. We read its head line by line
// up to the empty line, parse it, and answer with a real HTTP/1.1 response. One request, then exit.
// This file says what the server does; Http.java and the records beside it are the protocol it speaks.
// Run: ./jbang step03-hello-http/Server.java [port]   Try: curl -v http://127.0.0.1:8000/

static final String STEP = "step03-hello-http";     // the one name to change when this folder is copied
static final String SERVER_NAME = "workshop-" + STEP.substring(0, STEP.indexOf('-'));  // the Server header
static final int DEFAULT_PORT = 8000;
static final int BACKLOG = 50;                      // connections the OS queues for us until accept()
static final String ALLOW = "GET, HEAD";
static final String USAGE = """
        Usage: Server.java [port] [-b ADDRESS] [-h]
          port                  port to listen on (default 8000; 0 lets the OS pick a free one)
          -b, --bind ADDRESS    address to listen on (default 127.0.0.1; 0.0.0.0 means every interface)
          -h, --help            print this help and exit""";

record Options(int port, InetAddress address) {}

void main(String[] args) throws IOException {
    var options = parseOptions(args);
    try (var server = listen(options)) {
        IO.println(banner(server));
        serve(server.accept());
    }
}

/** Owns one connection: handle it, then close it, whatever happens. */
static void serve(Socket client) {
    try (client) {
        var in = new BufferedInputStream(client.getInputStream());  // the head is read a byte at a time: from memory
        handle(client, in, new BufferedOutputStream(client.getOutputStream()));
    } catch (IOException e) {
        System.err.println("Connection from " + client.getRemoteSocketAddress() + " failed: " + e.getMessage());
    }
}

static void handle(Socket client, InputStream in, OutputStream out) throws IOException {
    var reader = new HeadReader(client, in, System.nanoTime() + Http.HEAD_TIMEOUT.toNanos());
    String requestLine = null;
    Request request = null;
    Response response;
    try {
        requestLine = reader.readLine(Http.MAX_REQUEST_LINE, 414);
        if (requestLine == null) return;  // connected and closed without a word: nothing to answer
        request = Http.readRequest(requestLine, reader);
        IO.println(request);  // what we parsed, for the lesson; the next step keeps only the log line
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
    response.writeTo(out, request, false, SERVER_NAME);  // false: one answer, then this server closes the connection
    Http.log(client, requestLine, response.status(), Http.isHead(request) ? 0 : response.body().length);
    if (!complete) Http.linger(client, in);
}

static Response route(Request request) {
    if (!Http.KNOWN_METHODS.contains(request.method()))
        return Response.error(501, "This server does not implement the method " + request.method() + ".");
    if (!request.method().equals("GET") && !request.method().equals("HEAD"))
        return Response.error(405, "Only GET and HEAD are allowed here.").with("Allow", ALLOW);
    return Response.html(200, "<h1>Hello World</h1>");
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
