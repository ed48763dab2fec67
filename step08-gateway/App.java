import module java.base;

// The gateway contract: what a server promises an application, and what the application promises back.
// WSGI (PEP 3333) in Java. This file compiles alone (javac App.java): it knows no server and no app.
//
// The server calls app.call(environ, startResponse) once per request, on that request's thread; other
// requests may be calling the same app at the same time. environ holds the request under CGI's names:
//   REQUEST_METHOD    "GET"                SCRIPT_NAME   where the app is mounted: "" or e.g. "/todo"
//   PATH_INFO         the rest of the path, percent-decoded: "/add"   QUERY_STRING  "a=1&b=2", still encoded
//   CONTENT_TYPE      of the request body, "" if none   CONTENT_LENGTH  its size in bytes, "" if none
//   SERVER_NAME, SERVER_PORT, SERVER_PROTOCOL ("HTTP/1.1"), SERVER_SOFTWARE, REMOTE_ADDR, REMOTE_PORT
//   HTTP_*            the other header fields: User-Agent as HTTP_USER_AGENT, repeated fields joined by ", "
// and the gateway's own keys, WSGI's wsgi.* ones:
//   gateway.input       InputStream: the request body; it ends after CONTENT_LENGTH bytes
//   gateway.file_wrapper Function<Path, Iterable<byte[]>>: a file as a body that the server sends its own way
//   gateway.errors      PrintStream: text for the server's log
//   gateway.url_scheme  "http"        gateway.version  List.of(1, 0): this contract
//   gateway.multithread Boolean.TRUE: other threads may call the app at the same time
// The app calls startResponse.start(status, headers) exactly once, before its first chunk of body (it may
// do so while the server takes that chunk): a status like "404 Not Found", and header fields as name/value
// pairs, without CR or LF, without hop-by-hop fields (Connection, Transfer-Encoding: framing is the
// server's job). It returns the body as chunks of bytes, with a Content-Type among the headers if the body
// is not empty; a 204 or 304 has none. The server sends the head when the first chunk is ready, then each
// chunk as the app yields it. It frames them with the app's Content-Length, or the size of a body of one
// chunk, or else in HTTP/1.1 chunks (closing the connection for HTTP/1.0); for HEAD it drops them. When it is
// done, even after a failure, it closes the body if the body is Closeable. validate(), below, checks all of this.

/** An application: one call per request, answered through startResponse and the chunks it returns. */
interface App {
    Iterable<byte[]> call(Map<String, Object> environ, StartResponse startResponse) throws Exception;

    /** How an app gives its status ("200 OK") and header fields; a name may come twice, so they are a list. */
    interface StartResponse {
        void start(String status, List<Map.Entry<String, String>> headers);
    }

    /**
     * Where the server finds the apps --app can name: a class it loads by its name when it starts, as a servlet
     * container loads the class its web.xml names. The server is compiled without it, so it cannot know an app.
     */
    interface Catalog {
        /** The apps a learner runs, in the order --help lists them. */
        List<Named> apps();

        /** The apps that break a rule on purpose, to watch the validator: listed apart. */
        List<Named> broken();
    }

    /** An app by its name for --app: a line for --help and the tour page, and how to make it. */
    record Named(String name, String about, Function<Settings, App> make) {}

    /** What the command line tells an app: the folder of files to serve (-d), and a file to keep data in (--data). */
    record Settings(Path root, Path data) {}

    /** A rule of the gateway contract, broken by the server or the app; the message says which. */
    final class ContractBroken extends RuntimeException {
        ContractBroken(String rule) {
            super("gateway contract broken: " + rule);
        }
    }

    Pattern STATUS = Pattern.compile("[1-5][0-9]{2} [\\x20-\\x7e]+");  // "200 OK": a code, a space, a reason
    Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade");
    Map<String, Class<?>> ENVIRON_TYPES = Map.ofEntries(
            Map.entry("REQUEST_METHOD", String.class), Map.entry("SCRIPT_NAME", String.class),
            Map.entry("PATH_INFO", String.class), Map.entry("QUERY_STRING", String.class),
            Map.entry("CONTENT_TYPE", String.class), Map.entry("CONTENT_LENGTH", String.class),
            Map.entry("SERVER_NAME", String.class), Map.entry("SERVER_PORT", String.class),
            Map.entry("SERVER_PROTOCOL", String.class), Map.entry("REMOTE_ADDR", String.class),
            Map.entry("gateway.input", InputStream.class), Map.entry("gateway.errors", PrintStream.class),
            Map.entry("gateway.file_wrapper", Function.class),
            Map.entry("gateway.url_scheme", String.class), Map.entry("gateway.version", List.class),
            Map.entry("gateway.multithread", Boolean.class));
    Cleaner CLEANER = Cleaner.create();

    /** Both the server and validate() check the rules here; a broken one throws, naming it. */
    static void rule(boolean kept, String rule) {
        if (!kept) throw new ContractBroken(rule);
    }

    /** A header field an app gives: CR or LF in it would let it write any header, or a whole response of its own. */
    static void checkHeader(Map.Entry<String, String> header) {
        rule(header != null && header.getKey() != null && header.getValue() != null,
                "a header is a name and a value, neither null");
        rule(isToken(header.getKey()), "a header name is a token: '" + printable(header.getKey()) + "' is not");
        rule(header.getValue().chars().noneMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f),
                "a header value holds no CR, LF or other control character: " + header.getKey() + " does");
        rule(!HOP_BY_HOP.contains(header.getKey().toLowerCase(Locale.ROOT)),
                "hop-by-hop headers are the server's: " + header.getKey());
    }

    /** A header name: letters, digits and a few marks (RFC 9110 §5.6.2); no space, colon, CR or LF. */
    static boolean isToken(String text) {
        return !text.isEmpty() && text.chars().allMatch(c ->
                c < 0x7f && (Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0));
    }

    /** Java's wsgiref.validate: between a server and an app, checks both sides, throws at the first broken rule. */
    static App validate(App app) {
        record Started(String status, List<Map.Entry<String, String>> headers) {}
        return (environ, startResponse) -> {
            rule(environ != null, "environ is a Map");
            ENVIRON_TYPES.forEach((key, type) ->
                    rule(type.isInstance(environ.get(key)), "environ holds " + key + " as a " + type.getSimpleName()));
            environ.forEach((key, value) ->
                    rule(!key.startsWith("HTTP_") || value instanceof String, "environ holds " + key + " as a String"));
            rule(!environ.containsKey("HTTP_CONTENT_TYPE") && !environ.containsKey("HTTP_CONTENT_LENGTH"),
                    "the body's type and length are CONTENT_TYPE and CONTENT_LENGTH, not HTTP_*");
            rule(((String) environ.get("CONTENT_LENGTH")).matches("[0-9]*"), "CONTENT_LENGTH is digits, or empty");
            var path = (String) environ.get("PATH_INFO");
            var script = (String) environ.get("SCRIPT_NAME");
            rule(path.isEmpty() || path.startsWith("/"), "PATH_INFO is empty or starts with /");
            rule(script.isEmpty() || script.startsWith("/") && !script.endsWith("/"),
                    "SCRIPT_NAME is empty, or starts with / and does not end with it");
            var response = new AtomicReference<Started>();
            var body = app.call(environ, (status, headers) -> {
                rule(response.get() == null, "startResponse is called once");
                rule(status != null && STATUS.matcher(status).matches(),
                        "the status is 'NNN Reason', like '200 OK', not '" + status + "'");
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
                if (!closed.get()) errors.println(
                        "gateway contract broken: the body is closed when the response is done (" + where + ")");
            });
            return checked;
        };
    }

    /**
     * A body as a middleware sees it pass: each chunk, its end, and the server's close(), which goes on to the
     * app's body. validate() watches a body this way, and so does a middleware that writes the access log.
     */
    class Watched implements Iterable<byte[]>, Closeable {
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

    /** A name an app gave, for a message in the log: control characters, quotes and backslashes as \xHH. */
    private static String printable(String text) {
        var out = new StringBuilder();
        for (char c : text.toCharArray())
            out.append(c < 0x20 || c >= 0x7f || c == '"' || c == '\\' ? "\\x%02x".formatted((int) c) : c);
        return out.toString();
    }
}
