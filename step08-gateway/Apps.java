import module java.base;

/**
 * The apps that --app can name. The server loads this class by its name when it starts (Server.java's
 * APP_CATALOG) and never names an app: each is written against App.java alone, and so are the middleware,
 * CGI and the helpers they share (Middleware.java, Cgi.java, Web.java, ErrorPage.java, Broken.java).
 */
final class Apps implements App.Catalog {
    static final String FORM_PATH = "/greet";  // where www/index.html's form goes under the site app
    static final String FORM_ALLOW = "GET, HEAD, POST";
    static final int MAX_TODO_TEXT = 200;

    public List<App.Named> apps() {
        return List.of(
                new App.Named("site", "step 7's site as apps: scripts in /cgi-bin/, the form at /greet, files from -d",
                        settings -> site(settings.root())),
                new App.Named("hello", "the seed's simple_wsgi_app: a status, a header, one chunk",
                        settings -> hello()),
                new App.Named("router", "routing on PATH_INFO, the seed's urlpatterns: /, /index, /login, else 404",
                        settings -> router()),
                new App.Named("form", "step 6's form handler as an app: it reads the body from gateway.input",
                        settings -> form()),
                new App.Named("environ", "shows what an app is given: environ and the body, escaped",
                        settings -> environDump()),
                new App.Named("todo", "pages and forms: a todo list in a file (--data), its stylesheet a static file",
                        settings -> todo(settings.data(), settings.root())),
                new App.Named("overlap", "/first waits for a /second: two calls at once, each with its own status",
                        settings -> overlap()),
                new App.Named("all", "all of these under /NAME (/hello, /todo/, ...), each behind the validator",
                        settings -> all(settings)));
    }

    public List<App.Named> broken() {
        return Broken.APPS;
    }

    /** The seed's simple_wsgi_app: a status, the headers, startResponse, and a body of one chunk. */
    static App hello() {
        return (environ, startResponse) -> {
            startResponse.start("200 OK", Web.HTML);
            return List.of(Web.utf8("Hello world!"));
        };
    }

    /** The seed's urlpatterns, a path's view; the seed answered any other path 200 with an empty body: here, 404. */
    static final Map<String, Supplier<String>> URLPATTERNS =
            Map.of("/", () -> index(), "/index", () -> index(), "/login", () -> login());

    static String index() {
        return "index page";
    }

    static String login() {
        return "login page";
    }

    static App router() {
        return (environ, startResponse) -> {
            var view = URLPATTERNS.get(Web.path(environ));
            if (view == null) return new ErrorPage(404, "Nothing here by that name.").send(startResponse);
            startResponse.start("200 OK", Web.PLAIN);
            return List.of(Web.utf8(view.get()));
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
                if (method.equals("GET") || method.equals("HEAD"))
                    return Web.page(startResponse, greeting("GET", (String) environ.get("QUERY_STRING")));
                if (!method.equals("POST"))
                    throw new ErrorPage(405, "Only GET, HEAD and POST are allowed here.", FORM_ALLOW);
                var type = (String) environ.get("CONTENT_TYPE");  // parameters such as "; charset=UTF-8" may follow
                if (!type.matches("(?i)application/x-www-form-urlencoded[ \t]*(;.*)?"))
                    throw new ErrorPage(415, "This form takes application/x-www-form-urlencoded only.");
                var body = ((InputStream) environ.get("gateway.input")).readAllBytes();  // CONTENT_LENGTH bytes
                return Web.page(startResponse, greeting("POST", new String(body, StandardCharsets.ISO_8859_1)));
            } catch (ErrorPage e) {
                return e.send(startResponse);
            }
        };
    }

    /** The page that answers the form. Every name and value the client sent is escaped on its way into the HTML. */
    static String greeting(String method, String form) throws ErrorPage {
        var fields = Web.parseForm(form);  // a char a byte: parseForm decodes the %XX escapes as UTF-8
        var name = fields.stream().filter(field -> field.name().equals("firstname"))
                .map(Web.Field::value).findFirst().orElse("");
        var rows = new StringBuilder();
        for (var field : fields)
            rows.append("<tr><th>%s</th><td>%s</td></tr>\n"
                    .formatted(Web.escapeHtml(Web.shown(field.name())), Web.escapeHtml(Web.shown(field.value()))));
        return """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>Hello</title>
                <link rel="stylesheet" href="/style.css"></head>
                <body><h1>Hello, %s!</h1>
                <p>You sent these fields with %s:</p>
                <table>
                %s</table>
                <p><a href="/">Back to the form</a></p>
                </body></html>
                """.formatted(Web.escapeHtml(Web.shown(name)), method, rows);
    }

    /** What an app is given, every key of environ and the body, escaped: the client chose much of it. */
    static App environDump() {
        return (environ, startResponse) -> {
            var body = ((InputStream) environ.get("gateway.input")).readAllBytes();
            var lines = new StringBuilder();
            new TreeMap<>(environ).forEach((key, value) -> lines.append(Web.escapeHtml(key + " = " + value) + "\n"));
            var text = new String(body, StandardCharsets.UTF_8);
            lines.append(Web.escapeHtml("body (" + body.length + " bytes) = " + text) + "\n");
            return Web.page(startResponse, """
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
            try {
                switch (Web.path(environ)) {
                    case "/" -> {
                        if (!method.equals("GET") && !method.equals("HEAD"))
                            throw new ErrorPage(405, "Only GET, HEAD here.", "GET, HEAD");
                        var contents = list.read();
                        if (!contents.skipped().isEmpty())
                            ((PrintStream) environ.get("gateway.errors")).println(list.file + ": skipped "
                                    + contents.skippedLines() + ", no item (id TAB text, in UTF-8); kept in the file");
                        return Web.page(startResponse, todoPage(base, contents));
                    }
                    case "/add" -> {
                        if (!method.equals("POST")) throw new ErrorPage(405, "Only POST here.", "POST");
                        var text = Web.formField(environ, "text").replaceAll("\\p{Cntrl}", " ").strip();
                        if (text.isEmpty() || text.length() > MAX_TODO_TEXT)
                            throw new ErrorPage(400, "An item is 1 to " + MAX_TODO_TEXT + " characters of text.");
                        list.add(text);
                        return Web.seeOther(startResponse, base + "/");  // Post/Redirect/Get: a reload adds nothing
                    }
                    case "/delete" -> {
                        if (!method.equals("POST")) throw new ErrorPage(405, "Only POST here.", "POST");
                        var id = Web.formField(environ, "id");
                        if (!id.matches("[0-9]{1,18}")) throw new ErrorPage(400, "Which item? The id is a number.");
                        list.delete(Long.parseLong(id));
                        return Web.seeOther(startResponse, base + "/");
                    }
                    default -> throw new ErrorPage(404, "Nothing here by that name.");
                }
            } catch (ErrorPage e) {  // a bad %-escape in the form, too: the client's mistake, a 400
                return e.send(startResponse);
            }
        };
        return Middleware.staticFiles("/static", root.resolve("static"), pages);
    }

    static String todoPage(String base, TodoList.Contents contents) {
        var href = Web.escapeHtml(Web.encodePath(base));
        var rows = new StringBuilder();
        for (var item : contents.items())
            rows.append("""
                    <li><form method="post" action="%s/delete"><input type="hidden" name="id" value="%d">\
                    <button title="Done: delete it">&#10003;</button></form> %s</li>
                    """.formatted(href, item.id(), Web.escapeHtml(item.text())));
        var skipped = contents.skipped().isEmpty() ? "" : """
                <p class="skipped">Skipped in the list's file, and kept there as written: %s, \
                not an item (id TAB text, in UTF-8).</p>
                """.formatted(contents.skippedLines());
        int count = contents.items().size();
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
                %6$s</body></html>
                """.formatted(href, MAX_TODO_TEXT, rows, count, count == 1 ? "" : "s", skipped);
    }

    /**
     * The items, one "id TAB text" a line, in a UTF-8 text file that is never half-written: each change writes a
     * whole new copy, then renames it over the old one, which readers see entirely or not at all. The first line,
     * "next TAB 8", is the id the next item gets: no id is given twice, so a delete form on a page loaded before
     * its item was deleted cannot delete a newer item. A line that is no item (the file was edited by hand, in
     * another encoding) is skipped, and written back as it was.
     */
    static final class TodoList {
        record Todo(long id, String text) {}

        /** What the file holds: the next id, the items, and the lines that are no items (by number, and as bytes). */
        record Contents(long next, List<Todo> items, List<Integer> skipped, List<byte[]> kept) {
            String skippedLines() {  // "line 2", "lines 2, 5"
                var numbers = skipped.stream().map(String::valueOf).toList();
                return (skipped.size() == 1 ? "line " : "lines ") + String.join(", ", numbers);
            }
        }

        final Path file;
        final ReentrantLock lock = new ReentrantLock();  // one change at a time: two would each write back their own

        TodoList(Path file) {
            this.file = file.toAbsolutePath();
        }

        Contents read() throws IOException {
            if (!Files.exists(file)) return new Contents(1, List.of(), List.of(), List.of());
            // A char a byte, split into lines: a line's UTF-8 is then decoded alone, and a bad one costs that line.
            var lines = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).split("\r?\n");
            long next = 1;
            var items = new ArrayList<Todo>();
            var skipped = new ArrayList<Integer>();
            var kept = new ArrayList<byte[]>();
            for (int i = 0; i < lines.length; i++) {
                var parts = lines[i].split("\t", 2);
                var text = parts.length == 2 ? decodeUtf8(parts[1]) : null;
                if (text != null && parts[0].equals("next") && text.matches("[0-9]{1,18}")) {
                    next = Math.max(next, Long.parseLong(text));
                } else if (text != null && parts[0].matches("[0-9]{1,18}")) {
                    var item = new Todo(Long.parseLong(parts[0]), text);
                    items.add(item);
                    next = Math.max(next, item.id() + 1);
                } else if (!lines[i].isEmpty()) {
                    skipped.add(i + 1);
                    kept.add(lines[i].getBytes(StandardCharsets.ISO_8859_1));
                }
            }
            return new Contents(next, items, skipped, kept);
        }

        void add(String text) throws IOException {
            change((contents, items) -> items.add(new Todo(contents.next(), text)));
        }

        void delete(long id) throws IOException {
            change((contents, items) -> items.removeIf(item -> item.id() == id));
        }

        private void change(BiConsumer<Contents, List<Todo>> edit) throws IOException {
            lock.lock();
            try {
                var contents = read();
                var items = new ArrayList<>(contents.items());
                edit.accept(contents, items);
                long next = Math.max(contents.next(), items.stream().mapToLong(Todo::id).max().orElse(0) + 1);
                var out = new ByteArrayOutputStream();
                out.writeBytes(Web.utf8("next\t" + next + "\n"));
                for (var item : items) out.writeBytes(Web.utf8(item.id() + "\t" + item.text() + "\n"));
                for (var line : contents.kept()) {  // byte for byte as they were, at the end
                    out.writeBytes(line);
                    out.write('\n');
                }
                var temp = file.resolveSibling(file.getFileName() + ".tmp");
                Files.write(temp, out.toByteArray());
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                lock.unlock();
            }
        }

        /** Latin-1 text (a char a byte) decoded as UTF-8; null if those bytes are not UTF-8. */
        private static String decodeUtf8(String bytes) {
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .decode(ByteBuffer.wrap(bytes.getBytes(StandardCharsets.ISO_8859_1))).toString();
            } catch (CharacterCodingException e) {
                return null;
            }
        }
    }

    /**
     * Two requests at once, on purpose: /first starts its response (200), then waits until a /second has started
     * its own (404), five seconds at most. A server that kept the status anywhere but in the request's own
     * variables, as the seed's did on the server object, would send /first with /second's status.
     */
    static App overlap() {
        var waiting = new SynchronousQueue<CountDownLatch>();  // hands a waiting /first to the next /second
        return (environ, startResponse) -> {
            if (Web.path(environ).equals("/second")) {
                var first = waiting.poll(5, TimeUnit.SECONDS);
                startResponse.start("404 Not Found", Web.PLAIN);
                if (first != null) first.countDown();
                return List.of(Web.utf8(first == null ? "second: no /first was waiting\n" : "second: 404, mine\n"));
            }
            startResponse.start("200 OK", Web.PLAIN);
            var second = new CountDownLatch(1);
            boolean met = waiting.offer(second, 5, TimeUnit.SECONDS) && second.await(5, TimeUnit.SECONDS);
            return List.of(Web.utf8(met ? "first: 200, mine, though a /second started after me\n"
                    : "first: 200; no /second came within 5 s\n"));
        };
    }

    /** Step 7's site, built of apps: scripts in cgi-bin, the form at /greet, the files under the root, else 404. */
    static App site(Path root) {
        App notFound = (environ, startResponse) -> new ErrorPage(404, "Nothing here by that name.").send(startResponse);
        var files = Middleware.staticFiles("", root, notFound);
        return Cgi.scripts(root, Middleware.mount(Map.of(FORM_PATH, form()), files));
    }

    /**
     * Every other app under /NAME, each behind its own validator, and at / a tour: a line on what each shows. The
     * broken ones come last and apart; it is this app's validator that stops them.
     */
    static App all(App.Settings settings) {
        var catalog = new Apps();
        var apps = new LinkedHashMap<String, App>();
        var tour = new StringBuilder("<ul>\n");
        for (var named : catalog.apps()) {
            if (named.name().equals("all")) continue;
            apps.put("/" + named.name(), App.validate(named.make().apply(settings)));
            tour.append(tourLine(named));
        }
        tour.append("""
                </ul>
                <h2>Broken on purpose</h2>
                <p>Each breaks a rule of the contract, or fails: the validator stops it with a 500, and the
                server's log names the rule.</p>
                <ul>
                """);
        for (var named : catalog.broken()) {
            apps.put("/" + named.name(), App.validate(named.make().apply(settings)));
            tour.append(tourLine(named));
        }
        var page = """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>All the apps</title></head>
                <body><h1>All the apps</h1>
                <p>Each app is mounted under its name, behind the validator.</p>
                %s</ul>
                </body></html>
                """.formatted(tour);
        App links = (environ, startResponse) -> {
            if (!Web.path(environ).equals("/"))
                return new ErrorPage(404, "Nothing here by that name.").send(startResponse);
            if (!environ.get("REQUEST_METHOD").equals("GET") && !environ.get("REQUEST_METHOD").equals("HEAD"))
                return new ErrorPage(405, "Only GET, HEAD here.", "GET, HEAD").send(startResponse);
            return Web.page(startResponse, page);
        };
        return Middleware.mount(apps, App.validate(links));
    }

    static String tourLine(App.Named named) {
        return "<li><a href=\"/%1$s/\">/%1$s</a>: %2$s</li>\n".formatted(named.name(), Web.escapeHtml(named.about()));
    }
}
