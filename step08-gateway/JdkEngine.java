import module java.base;
import module jdk.httpserver;

/**
 * The same apps on the JDK's own HTTP server, com.sun.net.httpserver (the one behind jwebserver). It reads and
 * frames HTTP its own way; each request then goes through our route(), so 501, 411 and 413 are decided alike.
 */
final class JdkEngine {
    /** What to do with one request: Server.java's route() with its app, handed over, since this file cannot name it. */
    interface Route {
        Response route(Request request, BodyReader reader, InetSocketAddress local, InetSocketAddress remote)
                throws IOException, HttpError;
    }

    static final long MAX_RESPONSE_SECONDS = 600;  // the JDK's only bound on sending: the whole response, in seconds

    private JdkEngine() {}  // a namespace: nothing to instantiate

    /**
     * Binds, starts the JDK's server on its own threads, and returns at once with the address it listens on.
     * Its deadlines are off unless set, by properties read once, before the first server is made: a request gets
     * our head and body deadlines in all, an idle connection ours; for a response it has a total time only, not
     * one for a stalled write, so a download slower than MAX_RESPONSE_SECONDS is cut on this engine.
     */
    static InetSocketAddress serve(InetSocketAddress address, int backlog, Route route) throws IOException {
        setIfUnset("sun.net.httpserver.maxReqTime", Http.HEAD_TIMEOUT.plus(Http.BODY_TIMEOUT).toSeconds());
        setIfUnset("sun.net.httpserver.idleInterval", Math.max(1, Http.IDLE_TIMEOUT.toSeconds()));
        setIfUnset("sun.net.httpserver.maxRspTime", MAX_RESPONSE_SECONDS);
        var server = HttpServer.create(address, backlog);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());  // a virtual thread per exchange, as ours
        server.createContext("/", exchange -> exchange(exchange, route));
        server.start();
        return server.getAddress();
    }

    /** One request: the JDK's exchange becomes our Request; the Response that route() gives, the JDK frames. */
    static void exchange(HttpExchange exchange, Route route) throws IOException {
        var request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                exchange.getProtocol(), exchange.getRequestHeaders());
        Response response;
        try {
            checkHead(request);
            response = route.route(request, (asked, length) -> readBody(exchange.getRequestBody(), length),
                    exchange.getLocalAddress(), exchange.getRemoteAddress());
        } catch (HttpError e) {  // the JDK framed this request its own way, so the connection ends with the answer:
            response = Response.error(e.status, e.getMessage()).with("Connection", "close");  // no request smuggled
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
        exchange.getResponseBody().flush();  // the answer goes out before close() waits to drain an unread body
        exchange.close();  // not in a finally: closing ends a chunked body as complete, which a failed one is not
    }

    /**
     * What our readRequest refuses and the JDK's parser lets through: no Host or two, a control character (a NUL,
     * say) in a value. Checked before any app runs. What the JDK handles before us stays its own: it unfolds
     * folded lines, answers 100 Continue at once, and writes its own 400 page for a target it cannot parse.
     */
    static void checkHead(Request request) throws HttpError {
        var hosts = request.headers().getOrDefault("Host", List.of());
        if (hosts.size() > 1 || (hosts.isEmpty() && request.version().equals("HTTP/1.1")))
            throw new HttpError(400, "An HTTP/1.1 request needs exactly one Host header.");
        for (var values : request.headers().values())
            for (var value : values)
                if (value.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f))
                    throw new HttpError(400, "A control character in a header value.");
    }

    static void setIfUnset(String property, long value) {
        if (System.getProperty(property) == null) System.setProperty(property, String.valueOf(value));
    }

    /** This engine's BodyReader: the JDK's stream has the body's framing done already. */
    static byte[] readBody(InputStream in, int length) throws IOException, HttpError {
        var body = in.readNBytes(length);
        if (body.length < length)
            throw new HttpError(400, "The body ended after " + body.length + " of its " + length + " bytes.");
        return body;
    }

    /**
     * The JDK's server writes no access log, so this middleware writes ours: a line per request, when the server
     * closes the body, the first moment the status and the size are both known.
     */
    static App accessLog(App app) {
        return (environ, startResponse) -> {
            var client = InetAddress.ofLiteral((String) environ.get("REMOTE_ADDR"));
            var query = (String) environ.get("QUERY_STRING");
            var requestLine = environ.get("REQUEST_METHOD") + " "
                    + Http.encodePath(environ.get("SCRIPT_NAME") + (String) environ.get("PATH_INFO"))
                    + (query.isEmpty() ? "" : "?" + query) + " " + environ.get("SERVER_PROTOCOL");
            var status = new AtomicInteger(500);  // if the app says nothing valid, the server answers 500
            Iterable<byte[]> body;
            try {
                body = app.call(environ, (line, headers) -> {
                    if (App.STATUS.matcher(line).matches()) status.set(Integer.parseInt(line.substring(0, 3)));
                    startResponse.start(line, headers);
                });
            } catch (Exception e) {
                Http.log(client, requestLine, 500, 0);
                throw e;
            }
            boolean headOnly = environ.get("REQUEST_METHOD").equals("HEAD");
            return new App.Watched(body) {
                long sent;

                void chunk(byte[] chunk) {
                    sent += chunk.length;
                }

                void closed() {
                    Http.log(client, requestLine, status.get(), headOnly ? 0 : sent);
                }
            };
        };
    }
}
