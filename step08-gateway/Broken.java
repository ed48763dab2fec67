import module java.base;

/**
 * Apps that break a rule of the contract on purpose, and two that fail: run them under --app all, where each
 * is behind the validator, and watch it name the rule in the server's log. Alone (--app broken-no-type), only
 * the server's own checks stand between them and the client.
 */
final class Broken {
    static final List<App.Named> APPS = List.of(
            new App.Named("broken-no-start", "returns a body, never calls startResponse", settings -> noStart()),
            new App.Named("broken-twice", "calls startResponse twice", settings -> twice()),
            new App.Named("broken-status", "a status without its reason, \"200\"", settings -> status()),
            new App.Named("broken-header", "a CR LF in a header value", settings -> header()),
            new App.Named("broken-no-type", "a body without a Content-Type", settings -> noType()),
            new App.Named("broken-204", "a body with a 204 No Content", settings -> noContent()),
            new App.Named("broken-environ", "a middleware that drops QUERY_STRING", settings -> environ()),
            new App.Named("broken-unclosed", "a middleware that never closes the body", settings -> unclosed()),
            new App.Named("broken-early", "fails before startResponse: a 500 page", settings -> early()),
            new App.Named("broken-late", "fails after its first chunks: a cut connection", settings -> late()));

    private Broken() {}  // a namespace: nothing to instantiate

    static App noStart() {
        return (environ, startResponse) -> List.of(Web.utf8("no status, no headers"));
    }

    static App twice() {
        return (environ, startResponse) -> {
            startResponse.start("200 OK", Web.PLAIN);
            startResponse.start("404 Not Found", Web.PLAIN);
            return List.of(Web.utf8("which one?"));
        };
    }

    static App status() {
        return (environ, startResponse) -> {
            startResponse.start("200", Web.PLAIN);
            return List.of(Web.utf8("no reason phrase"));
        };
    }

    static App header() {
        return (environ, startResponse) -> {
            startResponse.start("200 OK", List.of(Map.entry("Content-Type", "text/plain; charset=utf-8"),
                    Map.entry("X-Note", "hi\r\nSet-Cookie: session=stolen")));  // response splitting, if nobody checks
            return List.of(Web.utf8("look at the headers"));
        };
    }

    static App noType() {
        return (environ, startResponse) -> {
            startResponse.start("200 OK", List.of());
            return List.of(Web.utf8("what am I?"));
        };
    }

    static App noContent() {
        return (environ, startResponse) -> {
            startResponse.start("204 No Content", List.of());
            return List.of(Web.utf8("no content, they said"));
        };
    }

    /** The rule broken is between this middleware and the app behind it, so a validator sits there. */
    static App environ() {
        return (environ, startResponse) -> {
            var copy = new HashMap<>(environ);
            copy.remove("QUERY_STRING");
            return App.validate(Apps.hello()).call(copy, startResponse);
        };
    }

    static App unclosed() {
        return (environ, startResponse) -> {
            var copy = new ArrayList<byte[]>();  // buffers the body, and forgets to close the original
            App.validate(Apps.hello()).call(environ, startResponse).forEach(copy::add);
            return copy;
        };
    }

    static App early() {
        return (environ, startResponse) -> {
            throw new IllegalStateException("broken-early fails before startResponse, as it was written to");
        };
    }

    static App late() {
        return (environ, startResponse) -> {
            startResponse.start("200 OK", Web.PLAIN);
            return () -> Stream.iterate(1, n -> n + 1).map(n -> {
                if (n == 3)
                    throw new IllegalStateException("broken-late fails at its third chunk, as it was written to");
                return Web.utf8("chunk " + n + "\n");
            }).iterator();
        };
    }
}
