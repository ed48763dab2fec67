import module java.base;

/**
 * An app's refusal (404, 403, 400...): thrown where the request cannot be answered, sent as a small HTML page.
 * The apps' own HttpError: an app cannot throw the server's, since it is compiled without the server.
 */
final class ErrorPage extends Exception {
    final int status;
    final String allow;  // the methods a 405 names in its Allow field; null for any other status

    ErrorPage(int status, String message) {
        this(status, message, null);
    }

    ErrorPage(int status, String message, String allow) {
        super(message);
        this.status = status;
        this.allow = allow;
    }

    /** The page, answered the way an app answers: the status and header fields to startResponse, then one chunk. */
    Iterable<byte[]> send(App.StartResponse startResponse) {
        var title = Web.status(status);
        startResponse.start(title, allow == null ? Web.HTML : List.of(Web.HTML.getFirst(), Map.entry("Allow", allow)));
        return List.of(Web.utf8("""
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>%s</title></head>
                <body><h1>%s</h1><p>%s</p></body></html>
                """.formatted(title, title, Web.escapeHtml(getMessage()))));
    }
}
