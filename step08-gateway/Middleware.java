import module java.base;

/**
 * Apps that wrap apps: to the server, a middleware is the app; to the app, it is the server. Here the files of
 * a folder (steps 5 to 7's file handling, now answered through startResponse) and apps mounted under prefixes.
 */
final class Middleware {
    static final String ALLOW = "GET, HEAD";
    static final DateTimeFormatter HTTP_DATE =  // RFC_1123_DATE_TIME would write "3 Nov", HTTP wants "03 Nov"
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT).withZone(ZoneOffset.UTC);
    static final Map<String, String> CONTENT_TYPES = Map.ofEntries(  // our own table: the same answer on every OS
            Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"), Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("txt", "text/plain; charset=utf-8"), Map.entry("md", "text/markdown; charset=utf-8"),
            Map.entry("csv", "text/csv; charset=utf-8"), Map.entry("json", "application/json"),
            Map.entry("svg", "image/svg+xml"), Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"),
            Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"),
            Map.entry("ico", "image/vnd.microsoft.icon"), Map.entry("webp", "image/webp"),
            Map.entry("pdf", "application/pdf"), Map.entry("wasm", "application/wasm"));

    private Middleware() {}  // a namespace: nothing to instantiate

    /**
     * Werkzeug's SharedDataMiddleware: the files of a folder under a URL prefix ("" for every path). A path that
     * names no file goes on to the app behind, which may have a page by that name.
     */
    static App staticFiles(String prefix, Path folder, App app) {
        return (environ, startResponse) -> {
            var path = (String) environ.get("PATH_INFO");
            if (!path.startsWith(prefix + "/")) return app.call(environ, startResponse);
            try {
                var base = environ.get("SCRIPT_NAME") + prefix;
                return serveFile(environ, startResponse, folder, path.substring(prefix.length()), base);
            } catch (ErrorPage e) {
                if (e.status == 404) return app.call(environ, startResponse);  // the app may have a page by that name
                return e.send(startResponse);
            }
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

    /**
     * A path under a folder: its file, a folder's index.html or listing, or a redirect to the folder. The server
     * decoded and checked PATH_INFO (no "..", no hidden name); base is where the folder's URLs start.
     */
    static Iterable<byte[]> serveFile(Map<String, Object> environ, App.StartResponse startResponse, Path folder,
                                      String path, String base) throws ErrorPage {
        var file = locate(folder, path);
        var method = environ.get("REQUEST_METHOD");
        if (!method.equals("GET") && !method.equals("HEAD"))
            throw new ErrorPage(405, "Only GET and HEAD are allowed here.", ALLOW);
        if (Files.isDirectory(file)) {
            if (!path.endsWith("/")) {  // else a browser resolves the page's relative links against the parent folder
                // Our checked path, encoded again: never the client's text, so never //host (another server). The
                // query is the client's, but the server let only visible ASCII through: no CR LF to forge a header.
                var query = (String) environ.get("QUERY_STRING");
                var location = Web.encodePath(base + path) + "/" + (query.isEmpty() ? "" : "?" + query);
                startResponse.start(Web.status(301), List.of(Map.entry("Location", location)));
                return List.of();
            }
            if (!Files.exists(file.resolve("index.html"))) return listing(startResponse, path, file);
            file = locate(folder, path + "index.html");
        } else if (path.endsWith("/")) {
            throw new ErrorPage(404, "Nothing here by that name.");  // a file is not a folder
        }
        if (Cgi.inScriptFolder(folder, file))  // reached by a symlink
            throw new ErrorPage(403, "A script is run, never sent.");
        return sendFile(environ, startResponse, file);
    }

    /**
     * Where the bytes of a checked path really are (symlinks followed), if that is inside the root and not
     * hidden. Path.startsWith compares whole names: /srv/www2 is not inside /srv/www (String.startsWith says it is).
     */
    static Path locate(Path root, String path) throws ErrorPage {
        Path file;
        try {
            file = root.resolve(path.substring(1)).toRealPath();
        } catch (AccessDeniedException e) {
            throw new ErrorPage(403, "This may not be read.");
        } catch (IOException | InvalidPathException e) {  // missing, a file as a folder, a link loop, a bad name
            throw new ErrorPage(404, "Nothing here by that name.");
        }
        if (!file.startsWith(root)) throw new ErrorPage(404, "Nothing here by that name.");
        for (var name : root.relativize(file))  // nor is a hidden file reached through a symlink
            if (name.toString().startsWith(".")) throw new ErrorPage(404, "Nothing here by that name.");
        return file;
    }

    /** A folder without index.html: links to what it holds, each name escaped as text and percent-encoded as a link. */
    static Iterable<byte[]> listing(App.StartResponse startResponse, String path, Path folder) throws ErrorPage {
        var items = new StringBuilder(path.equals("/") ? "" : "<li><a href=\"../\">../</a></li>\n");
        try (var entries = Files.list(folder)) {
            entries.map(entry -> entry.getFileName() + (Files.isDirectory(entry) ? "/" : ""))
                    .filter(name -> !name.startsWith("."))
                    .sorted()
                    .forEach(name -> items.append("<li><a href=\"%s\">%s</a></li>\n"
                            .formatted(Web.encodePath(name), Web.escapeHtml(name))));
        } catch (AccessDeniedException e) {
            throw new ErrorPage(403, "This folder may not be listed.");
        } catch (IOException e) {  // the disk failed us, not the client: a 500, with the trace in the server's log
            throw new UncheckedIOException(e);
        }
        var title = "Directory listing for " + Web.escapeHtml(path);
        return Web.page(startResponse, """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>%s</title></head>
                <body><h1>%s</h1>
                <ul>
                %s</ul>
                </body></html>
                """.formatted(title, title, items));
    }

    /** A regular file we may read: 200 and its bytes, or 304 when the client's copy is as new as the file. */
    static Iterable<byte[]> sendFile(Map<String, Object> environ, App.StartResponse startResponse, Path file)
            throws ErrorPage {
        // A FIFO or a device is no file to send: opening a FIFO blocks until someone writes into it.
        if (!Files.isRegularFile(file)) throw new ErrorPage(404, "Nothing here by that name.");
        if (!Files.isReadable(file)) throw new ErrorPage(403, "This may not be read.");
        try {
            var modified = Files.getLastModifiedTime(file).toInstant()
                    .truncatedTo(ChronoUnit.SECONDS);  // HTTP dates have whole seconds
            var lastModified = HTTP_DATE.format(modified);
            if (notModifiedSince((String) environ.get("HTTP_IF_MODIFIED_SINCE"), modified)) {
                startResponse.start(Web.status(304), List.of(Map.entry("Last-Modified", lastModified)));
                return List.of();
            }
            long length = Files.size(file);  // the app says Content-Length: the server checks the chunks add up to it
            startResponse.start(Web.status(200), List.of(Map.entry("Content-Type", contentType(file)),
                    Map.entry("Content-Length", String.valueOf(length)), Map.entry("Last-Modified", lastModified)));
            return fileWrapper(environ).apply(file);  // the server's way to send a file: one buffer, not chunks
        } catch (IOException e) {  // the disk failed us, not the client: a 500, with the trace in the server's log
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
        var extension = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);  // in Turkish, "GIF" -> "gıf"
        return CONTENT_TYPES.getOrDefault(extension, "application/octet-stream");
    }

    /** environ's gateway.file_wrapper: how this server would have a file sent (WSGI's wsgi.file_wrapper). */
    @SuppressWarnings("unchecked")
    static Function<Path, Iterable<byte[]>> fileWrapper(Map<String, Object> environ) {
        return (Function<Path, Iterable<byte[]>>) environ.get("gateway.file_wrapper");
    }
}
