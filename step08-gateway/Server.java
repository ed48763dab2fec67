///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+

// Step 8: a gateway between the server and the application, as Python's WSGI is.
// New in this step: the server no longer knows what the application does. It turns each request into an
// environ map, calls an App with it, and sends the status, headers and body chunks the App gives back.
// The same apps also run on the JDK's own HTTP server (--engine jdk): that is what an interface buys.
// Run: ./jbang step08-gateway/Server.java [port] [--app NAME]   Try: --app todo, then open http://127.0.0.1:8000/

import module jdk.httpserver;  // the JDK's own HTTP server, for --engine jdk

static final String SERVER_NAME = "workshop-step08";
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
static final Path DEFAULT_ROOT = Files.exists(Path.of("step08-gateway")) // run from the repository root,
        ? Path.of("step08-gateway", "www") : Path.of("www");                // or from the step's folder
static final Path DEFAULT_DATA = Files.exists(Path.of("step08-gateway"))  // the todo app's items, found the same way
        ? Path.of("step08-gateway", "todo.txt") : Path.of("todo.txt");
static final String DEFAULT_APP = "site";
static final int BUFFER_SIZE = 64 * 1024;           // a file is sent a buffer at a time: a 3 GiB file costs 64 KiB
static final Map<String, String> CONTENT_TYPES = Map.ofEntries(  // our own table: the same answer on every OS
        Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
        Map.entry("css", "text/css; charset=utf-8"), Map.entry("js", "text/javascript; charset=utf-8"),
        Map.entry("txt", "text/plain; charset=utf-8"), Map.entry("md", "text/markdown; charset=utf-8"),
        Map.entry("csv", "text/csv; charset=utf-8"), Map.entry("json", "application/json"),
        Map.entry("svg", "image/svg+xml"), Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"),
        Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"), Map.entry("ico", "image/vnd.microsoft.icon"),
        Map.entry("webp", "image/webp"), Map.entry("pdf", "application/pdf"), Map.entry("wasm", "application/wasm"));
static final String CGI_FOLDER = "cgi-bin";         // in the root: /cgi-bin/NAME runs NAME; nothing else ever runs
static final String SCRIPT_ALLOW = "GET, HEAD, POST";
static final Duration CGI_TIMEOUT =                 // a script still running then is killed, with its children
        Duration.ofMillis(Long.getLong("workshop.cgiTimeoutMillis", 10_000));  // tests shorten it
static final int MAX_CGI_HEAD = 64 * 1024;          // a script's header block: one printing headers forever gets 502
static final int MAX_LOG_LINE = 8 * 1024;           // a script's stderr reaches our log in lines of at most this
static final Map<String, List<String>> INTERPRETERS = Map.of(  // by extension: no executable bit needed, Windows works
        "java", List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),  // our own JDK: java post.java,
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"),  // tuned to start fast rather than to run long
        "sh", List.of("sh"),
        "py", List.of("python3"));
static final Set<String> NOT_PASSED = Set.of(       // request fields that get no HTTP_ variable:
        "authorization", "proxy-authorization",     // credentials stay with the server (RFC 3875 §4.1.18),
        "proxy",                                    // HTTP_PROXY would pass for a proxy setting ("httpoxy"),
        "content-type", "content-length");          // and these two are CONTENT_TYPE and CONTENT_LENGTH
static final Set<String> SERVER_FIELDS =            // how the response is framed is ours to say, not the script's
        Set.of("content-length", "transfer-encoding", "connection", "date", "server");
static final Pattern SCRIPT_STATUS = Pattern.compile("([2-5][0-9]{2})(?: (.*))?");  // a 1xx is no final answer
static final Pattern SCRIPT_LOCATION = Pattern.compile("(/|[A-Za-z][A-Za-z0-9+.-]*:)[!-~]*");  // a local path or a URL
static final DateTimeFormatter HTTP_DATE =          // RFC_1123_DATE_TIME would write "3 Nov", HTTP wants "03 Nov"
        DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT).withZone(ZoneOffset.UTC);
static final DateTimeFormatter LOG_DATE =
        DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);
static final String USAGE = """
        Usage: Server.java [port] [-b ADDRESS] [-d DIRECTORY] [--app NAME] [--engine ENGINE] [--data FILE] [-h]
          port                  port to listen on (default 8000; 0 lets the OS pick a free one)
          -b, --bind ADDRESS    address to listen on (default 127.0.0.1; 0.0.0.0 means every interface)
          -d, --directory DIR   folder to serve (default: this step's www/)
          --app NAME            the application to call for each request (default site; the list is below)
          --engine ENGINE       the HTTP server that calls it: ours (default) or jdk (com.sun.net.httpserver)
          --data FILE           where the todo app keeps its items (default: todo.txt beside this file)
          -h, --help            print this help and exit""";

// ---- The gateway contract --------------------------------------------------------------------------------
// What a server promises an application, and what the application promises back: WSGI (PEP 3333) in Java.
//
// The server calls app.call(environ, startResponse) once per request, on that request's thread; other
// requests may be calling the same app at the same time. environ holds the request under CGI's names:
//   REQUEST_METHOD    "GET"                SCRIPT_NAME   where the app is mounted: "" or e.g. "/todo"
//   PATH_INFO         the rest of the path, percent-decoded: "/add"   QUERY_STRING  "a=1&b=2", still encoded
//   CONTENT_TYPE      of the request body, "" if none   CONTENT_LENGTH  its size in bytes, "" if none
//   SERVER_NAME, SERVER_PORT, SERVER_PROTOCOL ("HTTP/1.1"), REMOTE_ADDR (the client's IP address)
//   HTTP_*            the other header fields: User-Agent as HTTP_USER_AGENT, repeated fields joined by ", "
// and the gateway's own keys, WSGI's wsgi.* ones:
//   gateway.input       InputStream: the request body; it ends after CONTENT_LENGTH bytes
//   gateway.errors      PrintStream: text for the server's log
//   gateway.url_scheme  "http"        gateway.version  List.of(1, 0): this contract
//   gateway.multithread Boolean.TRUE: other threads may call the app at the same time
// The app calls startResponse.start(status, headers) exactly once, before its first chunk of body (it may
// do so while the server takes that chunk): a status like "404 Not Found", and header fields as name/value
// pairs, without CR or LF, without hop-by-hop fields (Connection, Transfer-Encoding: framing is the
// server's job). It returns the body as chunks of bytes, with a Content-Type among the headers if the body
// is not empty; a 204 or 304 has none. The server sends the head when the first chunk is ready, then each
// chunk as the app yields it. It frames them with the app's Content-Length, or the size of a body of one
// chunk, or else by closing the connection; for HEAD it drops them. When it is done, even after a failure,
// it closes the body if the body is Closeable. validate(), in the middleware below, checks all of this.

/** An application: one call per request, answered through startResponse and the chunks it returns. */
interface App {
    Iterable<byte[]> call(Map<String, Object> environ, StartResponse startResponse) throws Exception;
}

/** How an app gives its status ("200 OK") and header fields; a name may come twice, so they are a list. */
interface StartResponse {
    void start(String status, List<Map.Entry<String, String>> headers);
}

/** A rule of the gateway contract, broken by the server or the app; the message says which. */
static final class ContractBroken extends RuntimeException {
    ContractBroken(String rule) {
        super("gateway contract broken: " + rule);
    }
}

static final Pattern STATUS = Pattern.compile("[1-5][0-9]{2} [\\x20-\\x7e]+");  // "200 OK": a code, a space, a reason
static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
        "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade");

/** Both the server and validate() check the rules here; a broken one throws, naming it. */
static void rule(boolean kept, String rule) {
    if (!kept) throw new ContractBroken(rule);
}

/** A header field an app gives: CR or LF in it would let it write any header, or a whole response of its own. */
static void checkHeader(Map.Entry<String, String> header) {
    rule(header != null && header.getKey() != null && header.getValue() != null, "a header is a name and a value, neither null");
    rule(isToken(header.getKey()), "a header name is a token: '" + escapeLog(header.getKey()) + "' is not");
    rule(header.getValue().chars().noneMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f),
            "a header value holds no CR, LF or other control character: " + header.getKey() + " does");
    rule(!HOP_BY_HOP.contains(header.getKey().toLowerCase(Locale.ROOT)), "hop-by-hop headers are the server's: " + header.getKey());
}

// ---- The server ------------------------------------------------------------------------------------------

record Options(int port, InetAddress address, Path root, Registered app, String engine, Path data) {}

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
record Response(int status, String reasonPhrase, Map<String, String> headers, Body body) {
    Response(int status, Map<String, String> headers, Body body) {
        this(status, reason(status), headers, body);  // a script may name its own reason phrase; we use our table
    }

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
        return new Response(status, reasonPhrase, more, body);
    }

    /** Status line, header lines, empty line, body: each line ends with CRLF. HEAD gets no body. */
    void writeTo(OutputStream out, boolean headOnly) throws IOException {
        var head = new StringBuilder("HTTP/1.1 " + status + " " + reasonPhrase + "\r\n");
        head.append("Date: ").append(HTTP_DATE.format(Instant.now())).append("\r\n");
        head.append("Server: ").append(SERVER_NAME).append("\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        boolean bodyless = status == 204 || status == 304;  // no body, and no Content-Length to describe one (RFC 9110 §8.6)
        if (!bodyless && body.length() >= 0)
            head.append("Content-Length: ").append(body.length()).append("\r\n");
        head.append("Connection: close\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (!headOnly && !bodyless) body.writeTo(out);
        out.flush();
    }
}

/** What follows the head: a page in memory, or an app's chunks. A length is a long: files pass 2 GiB. */
interface Body extends Closeable {
    Body EMPTY = new Bytes(new byte[0]);

    /** The length for Content-Length; -1 if unknown, and then the body ends when the connection closes. */
    long length();

    /** The bytes written, for the log. */
    default long sent() {
        return length();
    }

    void writeTo(OutputStream out) throws IOException;

    /** An app's body may hold a file or a process: the server closes it when done, whatever happened. */
    default void close() throws IOException {}
}

record Bytes(byte[] bytes) implements Body {
    public long length() {
        return bytes.length;
    }

    public void writeTo(OutputStream out) throws IOException {
        out.write(bytes);
    }
}

/**
 * An app's body: its first chunk, already in hand, then the rest as the app yields them, each sent at once.
 * The length is the app's Content-Length, or the size of a body of one chunk, else -1. Closing it closes the app's body.
 */
record Chunks(byte[] first, Iterator<byte[]> rest, long length, Iterable<byte[]> body, AtomicLong count) implements Body {
    public long sent() {
        return count.get();
    }

    public void writeTo(OutputStream out) throws IOException {
        write(out, first);
        try {
            while (rest.hasNext()) write(out, rest.next());
        } catch (RuntimeException e) {  // the head is out: too late for a 500; the connection is reset instead
            e.printStackTrace();
            throw new IOException("the app failed after its response began: " + e.getMessage());
        }
        if (length >= 0 && count.get() < length) throw new EOFException("the app sent " + count + " of the " + length + " bytes it announced");
    }

    private void write(OutputStream out, byte[] chunk) throws IOException {
        if (length >= 0 && count.get() + chunk.length > length) throw new IOException("the app sent more than the " + length + " bytes it announced");
        out.write(chunk);
        out.flush();  // a chunk goes out when the app yields it, not when a buffer fills: a slow app streams
        count.addAndGet(chunk.length);
    }

    public void close() throws IOException {
        if (body instanceof Closeable closeable) closeable.close();
    }
}

/** What an app passed to startResponse, kept for this one request. */
record Started(String status, List<Map.Entry<String, String>> headers) {}

/** How an engine reads a request body of a known length: ours from its socket, with a deadline; the JDK's from its exchange. */
interface BodyReader {
    byte[] read(Request request, int length) throws IOException, HttpError;
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
record HeadReader(Socket client, InputStream in, long deadline) implements BodyReader {
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

    /** Our BodyReader: step 6's readBody, after a 100 Continue if the client waits for one. */
    public byte[] read(Request request, int length) throws IOException, HttpError {
        if (request.version().equals("HTTP/1.1") && "100-continue".equalsIgnoreCase(request.header("Expect")))
            writeContinue(client.getOutputStream());  // the client holds its body back until it reads this
        return readBody(this, length);
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
    var app = options.app().make().apply(options);  // the one place where the server meets an app: by its name
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
                Thread.ofVirtual().start(() -> serve(client, app));  // the loop goes straight back to accept()
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
        throw new IllegalArgumentException("no www/ folder here: run from the repository root or step07-cgi/, or pass -d DIR");
    var root = text == null ? DEFAULT_ROOT : Path.of(text);
    if (!Files.isDirectory(root)) throw new IllegalArgumentException("'" + text + "' is not a folder");
    try {
        return root.toRealPath();
    } catch (IOException e) {
        throw new IllegalArgumentException("cannot open the folder '" + root + "': " + e.getMessage());
    }
}

/** The server looks an app up by its name in APPS, below, and knows nothing else of it. */
static Registered parseApp(String name) {
    return APPS.stream().filter(app -> app.name().equals(name)).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("unknown app '" + name + "'"));
}

static String appList() {
    var list = new StringBuilder("Apps:");
    for (var app : APPS) list.append("\n  %-20s  %s".formatted(app.name(), app.about()));
    return list.toString();
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
    return "Serving HTTP on %s port %d (http://%s:%d/) ...".formatted(host, address.getPort(), urlHost, address.getPort());
}

/** Owns one connection: handle it, then close it, whatever happens. */
static void serve(Socket client, App app) {
    try (client) {
        handle(client, app);
        linger(client);
    } catch (IOException e) {
        System.err.println("Connection from " + client.getRemoteSocketAddress() + " failed: " + e.getMessage());
    }
}

static void handle(Socket client, App app) throws IOException {
    var reader = new HeadReader(client, new BufferedInputStream(client.getInputStream()),
            System.nanoTime() + HEAD_TIMEOUT.toNanos());
    String requestLine = null;
    Request request = null;
    Response response;
    try {
        requestLine = reader.readLine(MAX_REQUEST_LINE, 414);
        if (requestLine == null) return;  // connected and closed without a word: nothing to answer
        request = readRequest(requestLine, reader);
        var local = (InetSocketAddress) client.getLocalSocketAddress();
        var remote = (InetSocketAddress) client.getRemoteSocketAddress();
        response = route(request, reader, local, remote, app);
    } catch (HttpError e) {
        response = Response.error(e.status, e.getMessage());
    } catch (SocketTimeoutException e) {
        response = Response.error(408, "The request head did not arrive within " + HEAD_TIMEOUT.toMillis() + " ms.");
    } catch (RuntimeException e) {  // our bug or the app's, not the client's: the trace goes to our log, never to the client
        e.printStackTrace();
        response = Response.error(500, "The server failed to answer this request.");
    }
    boolean headOnly = request != null && request.method().equals("HEAD");
    try (var body = response.body()) {
        response.writeTo(new BufferedOutputStream(client.getOutputStream()), headOnly);
    } catch (IOException e) {  // a body cut short: a reset, not a close, or the client would take what it got for all of it
        client.setSoLinger(true, 0);
        throw e;
    }
    log(client.getInetAddress(), requestLine, response.status(), headOnly ? 0 : response.body().sent());
}

/**
 * What is left of routing in the server: it refuses what no app could take, reads a POST's body (in memory,
 * as step 6 did), and calls the app. Which path means what is the app's business now.
 */
static Response route(Request request, BodyReader reader, InetSocketAddress local, InetSocketAddress remote, App app)
        throws IOException, HttpError {
    if (!KNOWN_METHODS.contains(request.method()))
        return Response.error(501, "This server does not implement the method " + request.method() + ".");
    long length = contentLength(request);  // checked on every request, read or not
    var body = request.method().equals("POST") || length > 0 ? receiveBody(request, length, reader) : new byte[0];
    return call(app, environ(request, local, remote, body));
}

/**
 * The request as an app sees it: CGI's meta-variables (RFC 3875 §4.1), the names step 7 gave a script, and
 * the gateway's own keys (see the contract at the top).
 */
static Map<String, Object> environ(Request request, InetSocketAddress local, InetSocketAddress remote, byte[] body)
        throws HttpError {
    var parts = request.target().split("#", 2)[0].split("\\?", 2);  // path?query#fragment
    var environ = new HashMap<String, Object>();
    environ.put("SERVER_NAME", local.getAddress().getHostAddress());
    environ.put("SERVER_PORT", String.valueOf(local.getPort()));
    environ.put("SERVER_PROTOCOL", request.version());
    environ.put("REQUEST_METHOD", request.method());
    environ.put("SCRIPT_NAME", "");  // the app is at the top; mount() moves a prefix of PATH_INFO here
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
    environ.put("gateway.errors", System.err);
    environ.put("gateway.url_scheme", "http");
    environ.put("gateway.version", List.of(1, 0));
    environ.put("gateway.multithread", true);
    return environ;
}

/**
 * The server's side of the contract: calls the app, then takes its first chunk. Nothing is sent before
 * that, so an app that fails early gets a plain 500. The status lives in this call's own variable: the
 * seed's WSGIServer kept it on the server object, where two requests at once overwrite each other's.
 */
static Response call(App app, Map<String, Object> environ) throws IOException {
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
        var chunks = body.iterator();
        boolean empty = !chunks.hasNext();
        var first = empty ? new byte[0] : chunks.next();
        var response = started.get();
        // Some of validate()'s rules, which the server needs even without it: the status, and each header's bytes.
        rule(response != null, "startResponse is called before the body ends");
        rule(STATUS.matcher(response.status()).matches(), "the status is 'NNN Reason', like '200 OK', not '" + response.status() + "'");
        long length = empty || chunkCount(body) == 1 ? first.length : -1;  // one chunk: its size is the body's
        var headers = new LinkedHashMap<String, String>();
        for (var header : response.headers()) {
            checkHeader(header);
            if (header.getKey().equalsIgnoreCase("Content-Length")) {
                rule(header.getValue().matches("[0-9]{1,18}"), "Content-Length is a number");
                length = Long.parseLong(header.getValue());
            } else {
                headers.merge(header.getKey(), header.getValue(), (a, b) -> a + ", " + b);
            }
        }
        return new Response(Integer.parseInt(response.status().substring(0, 3)), response.status().substring(4), headers,
                new Chunks(first, chunks, length, body, new AtomicLong()));
    } catch (RuntimeException e) {
        if (body instanceof Closeable closeable) closeable.close();
        throw e;
    }
}

/** How many chunks a body has, where that is known without running the app: a List's size, seen through middleware. */
static int chunkCount(Iterable<byte[]> body) {
    return switch (body) {
        case Collection<?> list -> list.size();
        case Watched watched -> chunkCount(watched.body);
        default -> -1;
    };
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

// ---- Steps 5 to 7's handlers, now the apps' building blocks: files, the form, CGI scripts ------------------

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

/**
 * step 7's file serving, for a path under a folder: its file, a folder's index.html or listing, or a redirect
 * to the folder. The answer goes to startResponse, as an app's does; base is where the folder's URLs start.
 */
static Iterable<byte[]> serveFile(Map<String, Object> environ, StartResponse startResponse, Path folder, String path, String base)
        throws HttpError {
    var file = locate(folder, path);
    var method = environ.get("REQUEST_METHOD");
    if (!method.equals("GET") && !method.equals("HEAD"))
        return send(Response.error(405, "Only GET and HEAD are allowed here.").with("Allow", ALLOW), startResponse);
    if (Files.isDirectory(file)) {
        if (!path.endsWith("/")) {  // else the browser would resolve the page's relative links against the parent folder
            // Our checked path, encoded again: never the client's text, so never //host (another server). The query
            // is the client's, but readRequest let only visible ASCII through: no CR LF to forge a header line.
            var query = (String) environ.get("QUERY_STRING");
            var location = encodePath(base + path) + "/" + (query.isEmpty() ? "" : "?" + query);
            return send(new Response(301, Map.of("Location", location), Body.EMPTY), startResponse);
        }
        if (!Files.exists(file.resolve("index.html"))) return send(listing(path, file), startResponse);
        file = locate(folder, path + "index.html");
    } else if (path.endsWith("/")) {
        throw new HttpError(404, "Nothing here by that name.");  // a file is not a folder
    }
    if (inScriptFolder(folder, file)) throw new HttpError(403, "A script is run, never sent.");  // reached by a symlink
    return sendFile(environ, startResponse, file);
}

/** A regular file we may read: 200 and its bytes, or 304 when the client's copy is as new as the file. */
static Iterable<byte[]> sendFile(Map<String, Object> environ, StartResponse startResponse, Path file) throws HttpError {
    // A FIFO or a device is no file to send: opening a FIFO blocks until someone writes into it.
    if (!Files.isRegularFile(file)) throw new HttpError(404, "Nothing here by that name.");
    if (!Files.isReadable(file)) throw new HttpError(403, "This may not be read.");
    try {
        var modified = Files.getLastModifiedTime(file).toInstant().truncatedTo(ChronoUnit.SECONDS);  // HTTP dates have seconds
        var lastModified = HTTP_DATE.format(modified);
        if (notModifiedSince((String) environ.get("HTTP_IF_MODIFIED_SINCE"), modified))
            return send(new Response(304, Map.of("Last-Modified", lastModified), Body.EMPTY), startResponse);
        long length = Files.size(file);
        startResponse.start("200 OK", List.of(Map.entry("Content-Type", contentType(file)),
                Map.entry("Content-Length", String.valueOf(length)), Map.entry("Last-Modified", lastModified)));
        return new FileBody(file, length);
    } catch (IOException e) {  // the disk failed us, not the client: a 500, with the trace in our log
        throw new UncheckedIOException(e);
    }
}

/** A file as an app's body: read and sent a buffer at a time, never whole in memory; the server's close() closes it. */
static final class FileBody implements Iterable<byte[]>, Closeable {
    final Path file;
    final long length;
    InputStream in;  // opened by the first chunk

    FileBody(Path file, long length) {
        this.file = file;
        this.length = length;
    }

    public Iterator<byte[]> iterator() {
        return new Iterator<>() {
            long left = length;

            public boolean hasNext() {
                return left > 0;
            }

            public byte[] next() {
                try {
                    if (in == null) in = Files.newInputStream(file);
                    var chunk = in.readNBytes((int) Math.min(left, BUFFER_SIZE));
                    if (chunk.length == 0) throw new EOFException(file.getFileName() + " got shorter while it was being sent");
                    left -= chunk.length;
                    return chunk;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    public void close() throws IOException {
        if (in != null) in.close();
    }
}

/** A Response made the server's way (an error page, a listing, a redirect), given as an app's answer. */
static Iterable<byte[]> send(Response response, StartResponse startResponse) {
    startResponse.start(response.status() + " " + response.reasonPhrase(), List.copyOf(response.headers().entrySet()));
    return List.of(((Bytes) response.body()).bytes());
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

/** Whether the path's first name is the cgi-bin folder. Compared as files: /CGI-BIN on a case-insensitive disk is it too. */
static boolean isScriptPath(Path root, String path) {
    try {
        return Files.isSameFile(root.resolve(path.substring(1).split("/", 2)[0]), root.resolve(CGI_FOLDER));
    } catch (IOException | InvalidPathException e) {  // no such file, or no cgi-bin: not a script
        return false;
    }
}

/** Whether a real path lies in the real cgi-bin folder. */
static boolean inScriptFolder(Path root, Path file) {
    try {
        return file.startsWith(root.resolve(CGI_FOLDER).toRealPath());
    } catch (IOException e) {  // no cgi-bin folder
        return false;
    }
}

/**
 * Runs /cgi-bin/NAME/MORE as CGI/1.1 (RFC 3875), as an app: environ, CGI's names already, becomes the script's
 * environment, and gateway.input its stdin; its stdout becomes the status, the headers and the chunks.
 */
static Iterable<byte[]> runScript(Map<String, Object> environ, StartResponse startResponse, Path root, String path)
        throws IOException, HttpError {
    if (!List.of("GET", "HEAD", "POST").contains(environ.get("REQUEST_METHOD")))
        return send(Response.error(405, "A script takes GET, HEAD and POST.").with("Allow", SCRIPT_ALLOW), startResponse);
    var names = path.split("/", 4);  // "", "cgi-bin", the script's name, and what follows it: the PATH_INFO
    if (names.length < 3 || names[2].isEmpty()) throw new HttpError(404, "Name a script: /cgi-bin/NAME.");
    var script = locate(root, "/" + names[1] + "/" + names[2]);
    if (!Files.isRegularFile(script) || !inScriptFolder(root, script)) throw new HttpError(403, "Only a file in cgi-bin runs.");
    var command = command(script);
    if (command == null) throw new HttpError(403, "Not executable: .java, .sh and .py files run here, and on Unix executable files starting with #!.");
    var scriptName = environ.get("SCRIPT_NAME") + "/" + names[1] + "/" + names[2];
    var pathInfo = names.length == 4 ? "/" + names[3] : "";
    var body = ((InputStream) environ.get("gateway.input")).readAllBytes();  // the server has read it: CONTENT_LENGTH bytes
    var builder = new ProcessBuilder(command).directory(script.getParent().toFile());  // its own folder (RFC 3875 §7.2)
    builder.environment().clear();  // from scratch: our own variables (secrets, a proxy setting) are none of its business
    builder.environment().putAll(metaVariables(environ, root, scriptName, pathInfo));
    Process process;
    try {
        process = builder.start();
    } catch (IOException e) {  // no python3 on this machine, say
        System.err.println(scriptName + ": cannot start: " + e.getMessage());
        return send(Response.error(502, "The script could not be started."), startResponse);
    }
    long deadline = System.nanoTime() + CGI_TIMEOUT.toNanos();
    Thread.ofVirtual().start(() -> watch(process, scriptName));
    Thread.ofVirtual().start(() -> feed(process, body));
    Thread.ofVirtual().start(() -> logErrors(process, scriptName));  // read at once, or a chatty script blocks on a full pipe
    var stdout = process.getInputStream();
    try {
        var response = scriptResponse(readScriptHead(stdout));
        startResponse.start(response.status() + " " + response.reasonPhrase(), List.copyOf(response.headers().entrySet()));
        return new ScriptOutput(process, stdout, deadline);  // for HEAD the server closes it unread, which ends the script
    } catch (IOException e) {
        kill(process);
        if (System.nanoTime() - deadline >= 0) return send(Response.error(504, "The script did not answer in time."), startResponse);
        System.err.println(scriptName + ": " + e.getMessage());  // the details are for us, not for the client
        return send(Response.error(502, "The script did not answer with a valid CGI response."), startResponse);
    }
}

/** The rest of a script's stdout, a chunk as it is printed: its length is unknown until the script ends. Closing it ends the script. */
record ScriptOutput(Process process, InputStream stdout, long deadline) implements Iterable<byte[]>, Closeable {
    public Iterator<byte[]> iterator() {
        return new Iterator<>() {
            byte[] next;

            public boolean hasNext() {
                if (next != null) return true;
                var buffer = new byte[BUFFER_SIZE];
                try {
                    int n = stdout.read(buffer);
                    if (n != -1) next = Arrays.copyOf(buffer, n);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                // Killed mid-body: the server resets the connection, as a plain close would pass for the end of the body.
                if (next == null && System.nanoTime() - deadline >= 0)
                    throw new UncheckedIOException(new IOException("the script ran out of time after its response began"));
                return next != null;
            }

            public byte[] next() {
                if (!hasNext()) throw new NoSuchElementException();
                var chunk = next;
                next = null;
                return chunk;
            }
        };
    }

    public void close() {
        kill(process);  // done, or the client is gone, and with it the script's reason to run
    }
}

/** The command that runs a script: its interpreter, chosen by extension, or on Unix the script itself if it starts with #!. */
static List<String> command(Path script) {
    var name = script.getFileName().toString();
    var interpreter = INTERPRETERS.get(name.substring(name.lastIndexOf('.') + 1));
    if (interpreter != null) return Stream.concat(interpreter.stream(), Stream.of(script.toString())).toList();
    if (File.separatorChar == '\\' || !Files.isExecutable(script)) return null;  // Windows has no executable bit
    try (var in = Files.newInputStream(script)) {
        return Arrays.equals(in.readNBytes(2), new byte[] {'#', '!'}) ? List.of(script.toString()) : null;
    } catch (IOException e) {
        return null;
    }
}

/**
 * A script's environment (RFC 3875 §4.1): environ's CGI variables, with the script's own SCRIPT_NAME and
 * PATH_INFO. From our own environment only PATH passes, to find sh, java and python3, and SYSTEMROOT,
 * without which Windows programs fail.
 */
static Map<String, String> metaVariables(Map<String, Object> environ, Path root, String scriptName, String pathInfo) {
    var env = new TreeMap<String, String>();
    for (var name : List.of("PATH", "SYSTEMROOT"))
        if (System.getenv(name) != null) env.put(name, System.getenv(name));
    env.put("GATEWAY_INTERFACE", "CGI/1.1");
    env.put("SERVER_SOFTWARE", SERVER_NAME);
    environ.forEach((name, value) -> {  // CGI's names, not gateway.*; an empty CONTENT_LENGTH is no length at all
        if (name.matches("[A-Z0-9_]+") && value instanceof String text && !(name.startsWith("CONTENT_") && text.isEmpty()))
            env.put(name, text);
    });
    env.put("SCRIPT_NAME", scriptName);
    env.put("PATH_INFO", pathInfo);  // decoded, as SCRIPT_NAME
    if (!pathInfo.isEmpty()) env.put("PATH_TRANSLATED", root + pathInfo.replace('/', File.separatorChar));
    return env;
}

/** Kills the script and its children if it runs past CGI_TIMEOUT; logs a failing exit status. */
static void watch(Process process, String scriptName) {
    try {
        if (!process.waitFor(CGI_TIMEOUT)) {
            System.err.println(scriptName + ": still running after " + CGI_TIMEOUT.toMillis() + " ms, killed");
            kill(process);
        } else if (process.exitValue() != 0) {
            System.err.println(scriptName + ": exited with status " + process.exitValue());
        }
    } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
    }
}

/** Killing the script alone would leave its children running, and holding its stdout open. */
static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
}

/** Gives the script the request body on stdin, then end-of-file: a script reading to the end does not hang. */
static void feed(Process process, byte[] body) {
    try (var stdin = process.getOutputStream()) {
        stdin.write(body);
    } catch (IOException e) {
        // it ended without reading all of it: its choice
    }
}

/** Copies the script's stderr into our log, line by line, each line marked with the script's name. */
static void logErrors(Process process, String scriptName) {
    try (var stderr = process.getErrorStream()) {
        for (String line; (line = readScriptLine(stderr, MAX_LOG_LINE, StandardCharsets.UTF_8)) != null; )
            System.err.println(scriptName + ": " + line);
    } catch (IOException e) {
        // the script is gone
    }
}

/** The script's header block (RFC 3875 §6): fields up to an empty line, lines ending in LF or CRLF. */
static Map<String, String> readScriptHead(InputStream stdout) throws IOException {
    var fields = new TreeMap<String, String>(String.CASE_INSENSITIVE_ORDER);
    for (int budget = MAX_CGI_HEAD; ; ) {
        var line = readScriptLine(stdout, budget, StandardCharsets.ISO_8859_1);
        if (line == null) throw new ProtocolException("its output ended before the empty line after its header fields");
        budget -= line.length() + 1;
        if (budget <= 0) throw new ProtocolException("its header block is longer than " + MAX_CGI_HEAD + " bytes");
        if (line.isEmpty()) return fields;
        int colon = line.indexOf(':');
        if (colon < 1 || !isToken(line.substring(0, colon)))
            throw new ProtocolException("not a header field: " + escapeLog(line.substring(0, Math.min(line.length(), 80))));
        var value = trimSpaces(line.substring(colon + 1));
        if (value.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f))  // a CR or a NUL would split our head
            throw new ProtocolException("a control character in its field " + line.substring(0, colon));
        fields.merge(line.substring(0, colon), value, (first, next) -> first + ", " + next);
    }
}

/**
 * The response that a script's header fields describe. Status and Location are CGI's own fields; a
 * response with neither a Location nor a Content-Type says nothing. How it is framed is ours to say.
 */
static Response scriptResponse(Map<String, String> fields) throws ProtocolException {
    var location = fields.get("Location");
    if (location != null && !SCRIPT_LOCATION.matcher(location).matches())
        throw new ProtocolException("Location is neither a local path nor an absolute URL: " + escapeLog(location));
    if (location == null && !fields.containsKey("Content-Type")) throw new ProtocolException("no Content-Type and no Location");
    int status = location == null ? 200 : 302;
    var reason = reason(status);
    if (fields.containsKey("Status")) {
        var matcher = SCRIPT_STATUS.matcher(fields.get("Status"));
        if (!matcher.matches()) throw new ProtocolException("Status is not a code from 200 to 599 and a reason: " + escapeLog(fields.get("Status")));
        status = Integer.parseInt(matcher.group(1));
        reason = matcher.group(2) == null || matcher.group(2).isBlank() ? reason(status) : matcher.group(2);
    }
    var headers = new LinkedHashMap<>(fields);
    headers.remove("Status");
    headers.keySet().removeIf(name -> SERVER_FIELDS.contains(name.toLowerCase(Locale.ROOT)));
    return new Response(status, reason, headers, Body.EMPTY);
}

/** One line of a script's output without its LF or CRLF, at most limit bytes (the rest is the next line); null at the end. */
static String readScriptLine(InputStream in, int limit, Charset charset) throws IOException {
    var line = new ByteArrayOutputStream();
    for (int b; line.size() < limit && (b = in.read()) != '\n'; ) {
        if (b == -1) return line.size() == 0 ? null : line.toString(charset);
        line.write(b);
    }
    var text = line.toString(charset);
    return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
}

// ---- The server, continued: reading and writing HTTP -------------------------------------------------------

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
 * A POST's body, for the form and for a script alike: refused from the head alone if it has no length or too
 * large a one, invited with a 100 Continue if the client waits for that, then read.
 */
static byte[] receiveBody(Request request, long length, BodyReader reader) throws IOException, HttpError {
    if (length < 0) throw new HttpError(411, "A POST needs a Content-Length.");
    if (length > MAX_BODY_BYTES) throw new HttpError(413, "The body is larger than " + MAX_BODY_BYTES + " bytes.");
    return reader.read(request, (int) length);
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
        case 204 -> "No Content";
        case 301 -> "Moved Permanently";
        case 302 -> "Found";
        case 303 -> "See Other";
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
        case 504 -> "Gateway Timeout";
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
static void log(InetAddress client, String requestLine, int status, long bytes) {
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

// ---- The same apps on the JDK's own HTTP server ------------------------------------------------------

/** com.sun.net.httpserver, the server behind jwebserver, calling the same app through the same route(). */
static void serveWithJdk(Options options, App app) {
    HttpServer server;
    try {
        server = HttpServer.create(new InetSocketAddress(options.address(), options.port()), BACKLOG);
    } catch (IOException e) {
        server = cannotListen(options, e);
    }
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());  // a virtual thread per exchange, as ours
    var logged = accessLog(app);  // the JDK's server writes no access log: a middleware writes ours
    server.createContext("/", exchange -> exchange(exchange, logged));
    server.start();
    IO.println(banner(server.getAddress()));
    IO.println("App: " + options.app().name() + " on the JDK's server, document root: " + options.root());
}

/** One request on the JDK's server: the same route() as ours; then the JDK frames the Response. */
static void exchange(HttpExchange exchange, App app) throws IOException {
    var request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
            exchange.getProtocol(), exchange.getRequestHeaders());
    Response response;
    try {
        response = route(request, (asked, length) -> readBody(exchange.getRequestBody(), length),
                exchange.getLocalAddress(), exchange.getRemoteAddress(), app);
    } catch (HttpError e) {
        response = Response.error(e.status, e.getMessage());
    } catch (RuntimeException e) {
        e.printStackTrace();
        response = Response.error(500, "The server failed to answer this request.");
    }
    boolean headOnly = request.method().equals("HEAD");
    response.headers().forEach(exchange.getResponseHeaders()::add);
    long length = response.body().length();
    // The JDK's code for the length: -1 for no body, 0 for a body of unknown length (sent in chunks)
    exchange.sendResponseHeaders(response.status(), headOnly || length == 0 ? -1 : Math.max(length, 0));
    try (var body = response.body()) {
        if (!headOnly) body.writeTo(exchange.getResponseBody());
    }
    exchange.close();  // not in a finally: closing ends a chunked body as complete, which a failed one is not
}

/** The JDK's BodyReader: its stream has the body's framing done already. */
static byte[] readBody(InputStream in, int length) throws IOException, HttpError {
    var body = in.readNBytes(length);
    if (body.length < length) throw new HttpError(400, "The body ended after " + body.length + " of its " + length + " bytes.");
    return body;
}

// ---- Middleware: apps that wrap apps --------------------------------------------------------------------

/** A body as a middleware sees it pass: each chunk, its end, and the server's close(), which goes on to the app's body. */
static class Watched implements Iterable<byte[]>, Closeable {
    final Iterable<byte[]> body;

    Watched(Iterable<byte[]> body) {
        this.body = body;
    }

    void chunk(byte[] chunk) {}

    void end() {}

    void closed() {}

    public Iterator<byte[]> iterator() {
        var chunks = body.iterator();
        return new Iterator<>() {
            public boolean hasNext() {
                if (chunks.hasNext()) return true;
                end();
                return false;
            }

            public byte[] next() {
                var chunk = chunks.next();
                chunk(chunk);
                return chunk;
            }
        };
    }

    public void close() throws IOException {
        try {
            if (body instanceof Closeable closeable) closeable.close();
        } finally {
            closed();
        }
    }
}

static final Map<String, Class<?>> ENVIRON_TYPES = Map.ofEntries(
        Map.entry("REQUEST_METHOD", String.class), Map.entry("SCRIPT_NAME", String.class),
        Map.entry("PATH_INFO", String.class), Map.entry("QUERY_STRING", String.class),
        Map.entry("CONTENT_TYPE", String.class), Map.entry("CONTENT_LENGTH", String.class),
        Map.entry("SERVER_NAME", String.class), Map.entry("SERVER_PORT", String.class),
        Map.entry("SERVER_PROTOCOL", String.class), Map.entry("REMOTE_ADDR", String.class),
        Map.entry("gateway.input", InputStream.class), Map.entry("gateway.errors", PrintStream.class),
        Map.entry("gateway.url_scheme", String.class), Map.entry("gateway.version", List.class),
        Map.entry("gateway.multithread", Boolean.class));
static final Cleaner CLEANER = Cleaner.create();

/** Java's wsgiref.validate: sits between a server and an app, checks both sides, and throws at the first broken rule. */
static App validate(App app) {
    return (environ, startResponse) -> {
        rule(environ != null, "environ is a Map");
        ENVIRON_TYPES.forEach((key, type) -> rule(type.isInstance(environ.get(key)), "environ holds " + key + " as a " + type.getSimpleName()));
        environ.forEach((key, value) -> rule(!key.startsWith("HTTP_") || value instanceof String, "environ holds " + key + " as a String"));
        rule(!environ.containsKey("HTTP_CONTENT_TYPE") && !environ.containsKey("HTTP_CONTENT_LENGTH"), "the body's type and length are CONTENT_TYPE and CONTENT_LENGTH, not HTTP_*");
        rule(((String) environ.get("CONTENT_LENGTH")).matches("[0-9]*"), "CONTENT_LENGTH is digits, or empty");
        var path = (String) environ.get("PATH_INFO");
        var script = (String) environ.get("SCRIPT_NAME");
        rule(path.isEmpty() || path.startsWith("/"), "PATH_INFO is empty or starts with /");
        rule(script.isEmpty() || script.startsWith("/") && !script.endsWith("/"), "SCRIPT_NAME is empty, or starts with / and does not end with it");
        var response = new AtomicReference<Started>();
        var body = app.call(environ, (status, headers) -> {
            rule(response.get() == null, "startResponse is called once");
            rule(status != null && STATUS.matcher(status).matches(), "the status is 'NNN Reason', like '200 OK', not '" + status + "'");
            rule(headers != null, "the headers are a list");
            headers.forEach(header -> checkHeader(header));
            response.set(new Started(status, headers));
            startResponse.start(status, headers);
        });
        rule(body != null, "the app returns a body: an empty list if there is none");
        var closed = new AtomicBoolean();
        var where = environ.get("REQUEST_METHOD") + " " + script + path;
        var errors = (PrintStream) environ.get("gateway.errors");
        var checked = new Watched(body) {
            void chunk(byte[] chunk) {
                rule(!closed.get(), "the body is not read after it is closed");
                rule(response.get() != null, "startResponse is called before the first chunk");
                rule(chunk != null, "a chunk is an array of bytes, not null");
                if (chunk.length == 0) return;
                int status = Integer.parseInt(response.get().status().substring(0, 3));
                rule(status != 204 && status != 304, "a " + status + " response has no body");
                rule(response.get().headers().stream().anyMatch(h -> h.getKey().equalsIgnoreCase("Content-Type")),
                        "a body comes with a Content-Type");
            }

            void end() {
                rule(response.get() != null, "startResponse is called before the body ends");
            }

            void closed() {
                closed.set(true);
            }
        };
        // Like wsgiref's __del__ check: a body the garbage collector finds unclosed was leaked by someone.
        CLEANER.register(checked, () -> {
            if (!closed.get()) errors.println("gateway contract broken: the body is closed when the response is done (" + where + ")");
        });
        return checked;
    };
}

/**
 * Werkzeug's SharedDataMiddleware: the files of a folder under a URL prefix ("" for every path), found by
 * step 5's locate(). A path that names no file goes on to the app behind, which may have a page by that name.
 */
static App staticFiles(String prefix, Path folder, App app) {
    return (environ, startResponse) -> {
        var path = (String) environ.get("PATH_INFO");
        if (!path.startsWith(prefix + "/")) return app.call(environ, startResponse);
        try {
            return serveFile(environ, startResponse, folder, path.substring(prefix.length()), environ.get("SCRIPT_NAME") + prefix);
        } catch (HttpError e) {
            if (e.status == 404) return app.call(environ, startResponse);  // no such file: perhaps the app has a page by that name
            return send(Response.error(e.status, e.getMessage()), startResponse);
        }
    };
}

/** step 7's CGI as middleware: a path in the cgi-bin folder runs a script; any other goes on to the app. */
static App scripts(Path root, App app) {
    return (environ, startResponse) -> {
        var path = (String) environ.get("PATH_INFO");
        if (!path.startsWith("/") || !isScriptPath(root, path)) return app.call(environ, startResponse);
        try {
            return runScript(environ, startResponse, root, path);
        } catch (HttpError e) {
            return send(Response.error(e.status, e.getMessage()), startResponse);
        }
    };
}

/** An access-log line per request, written when the server closes the body: only then are status and size known. */
static App accessLog(App app) {
    return (environ, startResponse) -> {
        var client = InetAddress.ofLiteral((String) environ.get("REMOTE_ADDR"));
        var query = (String) environ.get("QUERY_STRING");
        var requestLine = environ.get("REQUEST_METHOD") + " " + encodePath(environ.get("SCRIPT_NAME") + (String) environ.get("PATH_INFO"))
                + (query.isEmpty() ? "" : "?" + query) + " " + environ.get("SERVER_PROTOCOL");
        var status = new AtomicInteger(500);  // if the app says nothing valid, the server answers 500
        Iterable<byte[]> body;
        try {
            body = app.call(environ, (line, headers) -> {
                if (STATUS.matcher(line).matches()) status.set(Integer.parseInt(line.substring(0, 3)));
                startResponse.start(line, headers);
            });
        } catch (Exception e) {
            log(client, requestLine, 500, 0);
            throw e;
        }
        boolean headOnly = environ.get("REQUEST_METHOD").equals("HEAD");
        return new Watched(body) {
            long sent;

            void chunk(byte[] chunk) {
                sent += chunk.length;
            }

            void closed() {
                log(client, requestLine, status.get(), headOnly ? 0 : sent);
            }
        };
    };
}

/** Werkzeug's DispatcherMiddleware: apps under path prefixes. The prefix moves from PATH_INFO to SCRIPT_NAME. */
static App mount(Map<String, App> apps, App fallback) {
    return (environ, startResponse) -> {
        var path = (String) environ.get("PATH_INFO");
        for (var mounted : apps.entrySet()) {
            var prefix = mounted.getKey();
            if (!path.equals(prefix) && !path.startsWith(prefix + "/")) continue;
            var inner = new HashMap<>(environ);  // a copy: the caller's environ stays as it was
            inner.put("SCRIPT_NAME", environ.get("SCRIPT_NAME") + prefix);
            inner.put("PATH_INFO", path.substring(prefix.length()));
            return mounted.getValue().call(inner, startResponse);
        }
        return fallback.call(environ, startResponse);
    };
}

// ---- The apps: each is registered here by name, the one place where the server looks for them -----------

/** An app the server can be started with: its name for --app, a line for --help, and how to make it. */
record Registered(String name, String about, Function<Options, App> make) {}

static final List<Registered> APPS = List.of(
        new Registered("site", "step 7's site as apps: CGI scripts under /cgi-bin/, the form at /greet, files from -d",
                options -> site(options.root())),
        new Registered("hello", "the seed's simple_wsgi_app: Hello world!", options -> hello()),
        new Registered("router", "the seed's urlpatterns: /, /index and /login, else 404", options -> router()),
        new Registered("form", "step 6's form handler as an app: it reads the body from gateway.input", options -> form()),
        new Registered("environ", "shows what an app is given: environ and the body, escaped", options -> environDump()),
        new Registered("todo", "a todo list kept in a text file (--data), its stylesheet a static file",
                options -> todo(options.data(), options.root())),
        new Registered("all", "all of these under /NAME (/hello, /todo/, ...), each behind the validator",
                options -> all(options)),
        new Registered("broken-no-start", "breaks a rule: returns a body, never calls startResponse", options -> broken("no-start")),
        new Registered("broken-twice", "breaks a rule: calls startResponse twice", options -> broken("twice")),
        new Registered("broken-status", "breaks a rule: a status without its reason, \"200\"", options -> broken("status")),
        new Registered("broken-header", "breaks a rule: a CR LF in a header value", options -> broken("header")),
        new Registered("broken-no-type", "breaks a rule: a body without a Content-Type", options -> broken("no-type")),
        new Registered("broken-204", "breaks a rule: a body with a 204 No Content", options -> broken("204")),
        new Registered("broken-environ", "breaks a rule: a middleware that drops QUERY_STRING", options -> broken("environ")),
        new Registered("broken-unclosed", "breaks a rule: a middleware that never closes the body", options -> broken("unclosed")),
        new Registered("broken-early", "fails before startResponse: a 500 page", options -> broken("early")),
        new Registered("broken-late", "fails after its first chunks: a cut connection", options -> broken("late")));

static final List<Map.Entry<String, String>> PLAIN = List.of(Map.entry("Content-Type", "text/plain; charset=utf-8"));
static final List<Map.Entry<String, String>> HTML = List.of(Map.entry("Content-Type", "text/html; charset=utf-8"));

/** The seed's simple_wsgi_app: a status, the headers, startResponse, and a body of one chunk. */
static App hello() {
    return (environ, startResponse) -> {
        startResponse.start("200 OK", HTML);
        return List.of(utf8("Hello world!"));
    };
}

/** The seed's urlpatterns, a path's view; the seed answered any other path 200 with an empty body: here, 404. */
static final Map<String, Supplier<String>> URLPATTERNS = Map.of("/", () -> index(), "/index", () -> index(), "/login", () -> login());

static String index() {
    return "index page";
}

static String login() {
    return "login page";
}

static App router() {
    return (environ, startResponse) -> {
        var view = URLPATTERNS.get(path(environ));
        if (view == null) return errorPage(startResponse, 404, "Nothing here by that name.");
        startResponse.start("200 OK", PLAIN);
        return List.of(utf8(view.get()));
    };
}

/**
 * Step 6's form handler as an app, wherever it is mounted: the fields come in the query of a GET, or in the
 * body of a POST, read from gateway.input. The server has read the body by then: a 415 comes after it now.
 */
static App form() {
    return (environ, startResponse) -> {
        var method = environ.get("REQUEST_METHOD");
        try {
            if (method.equals("GET") || method.equals("HEAD")) return send(greeting("GET", (String) environ.get("QUERY_STRING")), startResponse);
            if (!method.equals("POST"))
                return send(Response.error(405, "Only GET, HEAD and POST are allowed here.").with("Allow", FORM_ALLOW), startResponse);
            var type = (String) environ.get("CONTENT_TYPE");  // parameters such as "; charset=UTF-8" may follow
            if (!type.matches("(?i)application/x-www-form-urlencoded[ \t]*(;.*)?"))
                throw new HttpError(415, "This form takes application/x-www-form-urlencoded only.");
            var body = ((InputStream) environ.get("gateway.input")).readAllBytes();  // it ends after CONTENT_LENGTH bytes
            return send(greeting("POST", new String(body, StandardCharsets.ISO_8859_1)), startResponse);
        } catch (HttpError e) {
            return send(Response.error(e.status, e.getMessage()), startResponse);
        }
    };
}

/** What an app is given, every key of environ and the body, escaped: the client chose much of it. */
static App environDump() {
    return (environ, startResponse) -> {
        var body = ((InputStream) environ.get("gateway.input")).readAllBytes();
        var lines = new StringBuilder();
        new TreeMap<>(environ).forEach((key, value) -> lines.append(escapeHtml(key + " = " + value)).append('\n'));
        lines.append(escapeHtml("body (" + body.length + " bytes) = " + new String(body, StandardCharsets.UTF_8))).append('\n');
        return page(startResponse, """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>environ</title></head>
                <body><h1>What the app was given</h1>
                <pre>
                %s</pre>
                </body></html>
                """.formatted(lines));
    };
}

/**
 * The seeds' promised todo list: routing, forms, escaping, Post/Redirect/Get, and its stylesheet from
 * static/ under the document root, through the static-files middleware.
 */
static App todo(Path data, Path root) {
    var list = new TodoList(data);
    App pages = (environ, startResponse) -> {
        var base = (String) environ.get("SCRIPT_NAME");
        var method = (String) environ.get("REQUEST_METHOD");
        return switch (path(environ)) {
            case "/" -> method.equals("GET") || method.equals("HEAD")
                    ? page(startResponse, todoPage(base, list.items()))
                    : notAllowed(startResponse, ALLOW);
            case "/add" -> {
                if (!method.equals("POST")) yield notAllowed(startResponse, "POST");
                var text = formField(environ, "text").replaceAll("\\p{Cntrl}", " ").strip();
                if (text.isEmpty() || text.length() > MAX_TODO_TEXT)
                    yield errorPage(startResponse, 400, "An item is 1 to " + MAX_TODO_TEXT + " characters of text.");
                list.add(text);
                yield seeOther(startResponse, base + "/");  // Post/Redirect/Get: a reload does not add it again
            }
            case "/delete" -> {
                if (!method.equals("POST")) yield notAllowed(startResponse, "POST");
                var id = formField(environ, "id");
                if (!id.matches("[0-9]{1,18}")) yield errorPage(startResponse, 400, "Which item? The id is a number.");
                list.delete(Long.parseLong(id));
                yield seeOther(startResponse, base + "/");
            }
            default -> errorPage(startResponse, 404, "Nothing here by that name.");
        };
    };
    return staticFiles("/static", root.resolve("static"), pages);
}

static final int MAX_TODO_TEXT = 200;

static String todoPage(String base, List<Todo> items) {
    var href = escapeHtml(encodePath(base));
    var rows = new StringBuilder();
    for (var item : items)
        rows.append("""
                <li><form method="post" action="%s/delete"><input type="hidden" name="id" value="%d">\
                <button title="Done: delete it">&#10003;</button></form> %s</li>
                """.formatted(href, item.id(), escapeHtml(item.text())));
    return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Todo</title>
            <link rel="stylesheet" href="%1$s/static/todo.css"></head>
            <body><h1>Todo</h1>
            <form method="post" action="%1$s/add"><input name="text" maxlength="%2$d" required autofocus \
            placeholder="Something to do"> <button>Add</button></form>
            <ul>
            %3$s</ul>
            <p class="count">%4$d item%5$s</p>
            </body></html>
            """.formatted(href, MAX_TODO_TEXT, rows, items.size(), items.size() == 1 ? "" : "s");
}

record Todo(long id, String text) {}

/**
 * The items, one "id TAB text" a line, in a UTF-8 text file that is never half-written: each change writes
 * a whole new copy, then renames it over the old one, which readers see entirely or not at all.
 */
static final class TodoList {
    final Path file;
    final ReentrantLock lock = new ReentrantLock();  // one change at a time: two at once would each write back their own read

    TodoList(Path file) {
        this.file = file.toAbsolutePath();
    }

    List<Todo> items() throws IOException {
        if (!Files.exists(file)) return List.of();
        var items = new ArrayList<Todo>();
        for (var line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            var parts = line.split("\t", 2);
            if (parts.length == 2 && parts[0].matches("[0-9]{1,18}")) items.add(new Todo(Long.parseLong(parts[0]), parts[1]));
        }
        return items;
    }

    void add(String text) throws IOException {
        change(items -> items.add(new Todo(items.stream().mapToLong(Todo::id).max().orElse(0) + 1, text)));
    }

    void delete(long id) throws IOException {
        change(items -> items.removeIf(item -> item.id() == id));
    }

    private void change(Consumer<List<Todo>> edit) throws IOException {
        lock.lock();
        try {
            var items = new ArrayList<>(items());
            edit.accept(items);
            var temp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(temp, items.stream().map(item -> item.id() + "\t" + item.text()).toList(), StandardCharsets.UTF_8);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            lock.unlock();
        }
    }
}

/** Step 7's site, built of apps: scripts in cgi-bin, the form at /greet, the files under the root, else 404. */
static App site(Path root) {
    App notFound = (environ, startResponse) -> errorPage(startResponse, 404, "Nothing here by that name.");
    return scripts(root, mount(Map.of(FORM_PATH, form()), staticFiles("", root, notFound)));
}

/** Every other app under /NAME, each behind its own validator, and a page of links to them at /. */
static App all(Options options) {
    var apps = new LinkedHashMap<String, App>();
    for (var app : APPS) if (!app.name().equals("all")) apps.put("/" + app.name(), validate(app.make().apply(options)));
    App links = (environ, startResponse) -> {
        if (!path(environ).equals("/")) return errorPage(startResponse, 404, "Nothing here by that name.");
        if (!environ.get("REQUEST_METHOD").equals("GET") && !environ.get("REQUEST_METHOD").equals("HEAD"))
            return notAllowed(startResponse, ALLOW);
        var items = new StringBuilder();
        for (var prefix : apps.keySet()) items.append("<li><a href=\"%1$s/\">%1$s</a></li>\n".formatted(prefix));
        return page(startResponse, """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>All the apps</title></head>
                <body><h1>All the apps</h1>
                <ul>
                %s</ul>
                </body></html>
                """.formatted(items));
    };
    return mount(apps, validate(links));
}

/** Apps that each break one rule of the contract, behind the validator that catches them, and two that fail. */
static App broken(String how) {
    App app = switch (how) {
        case "no-start" -> (environ, startResponse) -> List.of(utf8("no status, no headers"));
        case "twice" -> (environ, startResponse) -> {
            startResponse.start("200 OK", PLAIN);
            startResponse.start("404 Not Found", PLAIN);
            return List.of(utf8("which one?"));
        };
        case "status" -> (environ, startResponse) -> {
            startResponse.start("200", PLAIN);
            return List.of(utf8("no reason phrase"));
        };
        case "header" -> (environ, startResponse) -> {
            startResponse.start("200 OK", List.of(Map.entry("Content-Type", "text/plain; charset=utf-8"),
                    Map.entry("X-Note", "hi\r\nSet-Cookie: session=stolen")));  // response splitting, if nobody checks
            return List.of(utf8("look at the headers"));
        };
        case "no-type" -> (environ, startResponse) -> {
            startResponse.start("200 OK", List.of());
            return List.of(utf8("what am I?"));
        };
        case "204" -> (environ, startResponse) -> {
            startResponse.start("204 No Content", List.of());
            return List.of(utf8("no content, they said"));
        };
        case "environ" -> (environ, startResponse) -> {
            var copy = new HashMap<>(environ);
            copy.remove("QUERY_STRING");
            return validate(hello()).call(copy, startResponse);
        };
        case "unclosed" -> (environ, startResponse) -> {
            var copy = new ArrayList<byte[]>();  // buffers the body, and forgets to close the original
            validate(hello()).call(environ, startResponse).forEach(copy::add);
            return copy;
        };
        case "early" -> (environ, startResponse) -> {
            throw new IllegalStateException("broken-early fails before startResponse, as it was written to");
        };
        case "late" -> (environ, startResponse) -> {
            startResponse.start("200 OK", PLAIN);
            return () -> Stream.iterate(1, n -> n + 1).map(n -> {
                if (n == 3) throw new IllegalStateException("broken-late fails at its third chunk, as it was written to");
                return utf8("chunk " + n + "\n");
            }).iterator();
        };
        default -> throw new IllegalArgumentException(how);
    };
    return validate(app);
}

// ---- Small helpers the apps share ----------------------------------------------------------------------

static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
}

/** PATH_INFO, where "" (a request for the app's prefix itself, "/todo") counts as the app's "/". */
static String path(Map<String, Object> environ) {
    var path = (String) environ.get("PATH_INFO");
    return path.isEmpty() ? "/" : path;
}

static Iterable<byte[]> page(StartResponse startResponse, String html) {
    startResponse.start("200 OK", HTML);
    return List.of(utf8(html));
}

static Iterable<byte[]> errorPage(StartResponse startResponse, int status, String message) {
    return send(Response.error(status, message), startResponse);
}

static Iterable<byte[]> notAllowed(StartResponse startResponse, String allow) {
    return send(Response.error(405, "Only " + allow + " here.").with("Allow", allow), startResponse);
}

/** Post/Redirect/Get: after a change, the browser is sent to a page that it may reload. */
static Iterable<byte[]> seeOther(StartResponse startResponse, String location) {
    startResponse.start("303 See Other", List.of(Map.entry("Location", encodePath(location))));
    return List.of();
}

/** A field of the form in the request body, read from gateway.input with step 6's parseForm; "" if missing. */
static String formField(Map<String, Object> environ, String name) throws IOException, HttpError {
    var body = ((InputStream) environ.get("gateway.input")).readAllBytes();
    return parseForm(new String(body, StandardCharsets.ISO_8859_1)).stream()  // a char per byte: percentDecode reads UTF-8
            .filter(field -> field.name().equals(name)).map(Field::value).findFirst().orElse("");
}
