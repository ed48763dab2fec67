package workshop;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.*;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gateway step: the same apps over a real socket on both engines (ours and the JDK's server), with the
 * same assertions. The servers run --app all, which mounts every app under /NAME behind the validator.
 * HttpContract's checks run against a third server, ours with a short head deadline, where / is the
 * page of links (200) and DELETE / is that page's 405; the other tests get the real deadline, so that
 * a busy machine cannot turn their requests into 408s.
 */
@Tag("step08")
@DisplayName("step08 gateway")
@Execution(ExecutionMode.CONCURRENT)  // three servers for all the tests: concurrent servers should not mind
class Step08Test extends KeepAliveContract {
    static final Duration LOG_WAIT = Duration.ofSeconds(10);

    @TempDir
    static Path data;  // the todo lists of this class

    /** Ours with a short head deadline, for HttpContract's error cases. */
    @RegisterExtension
    static final StepServer contract = StepServer.of(launch -> allApps(launch, "contract.txt").jvm(FAST_DEADLINE))
            .forContract();
    /** Ours with the real deadline, for everything else: a loaded machine may be slow to send. */
    @RegisterExtension
    static final StepServer ours = StepServer.of(launch -> allApps(launch, "ours.txt"));
    @RegisterExtension
    static final StepServer jdk = StepServer.of(launch -> allApps(launch, "jdk.txt").args("--engine", "jdk"));

    /** Every app, each under /NAME, behind the validator; each server keeps its own todo list. */
    static Step.Launch allApps(Step.Launch launch, String todoList) {
        return launch.args("--app", "all", "--data", data.resolve(todoList).toString());
    }

    /** Under --app all, step 7's site is mounted at /site: its page names its picture and stylesheet. */
    @Override
    protected String browserPage() {
        return "/site/";
    }

    /** The gateway reads every body for its app (gateway.input): only one refused from its head stays unread. */
    @Override
    protected Map<String, Integer> unreadBodies() {
        return Map.of("POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: " + Http.FORM_TYPE
                + "\r\nContent-Length: 10737418240\r\n\r\na=1&b", 413);
    }

    static Step on(String engine) {
        return (engine.equals("jdk") ? jdk : ours).step();
    }

    static HttpResponse<String> get(String engine, String target) throws IOException {
        return Http.sendText(Http.request(on(engine).port(), target).build());
    }

    static HttpResponse<String> post(String engine, String target, String form) throws IOException {
        return Http.sendText(Http.formRequest(on(engine).port(), target, form));
    }

    static String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    static String form(String name, String value) {
        return name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    // ---- every demo app, on both engines, with the same assertions

    @ParameterizedTest(name = "{displayName} [{0}]")
    @ValueSource(strings = {"ours", "jdk"})
    @DisplayName("hello: the seed's simple_wsgi_app; a body of one chunk gets a Content-Length")
    void hello(String engine) throws Exception {
        var response = get(engine, "/hello");
        assertEquals(200, response.statusCode(), response::toString);
        assertEquals("text/html; charset=utf-8", header(response, "Content-Type"));
        assertEquals("Hello world!", response.body());
        assertEquals("12", header(response, "Content-Length"));
    }

    @ParameterizedTest(name = "{displayName} [{0}]")
    @ValueSource(strings = {"ours", "jdk"})
    @DisplayName("router: the seed's urlpatterns, under the prefix it is mounted at; anything else is 404")
    void router(String engine) throws Exception {
        for (var target : new String[] {"/router", "/router/", "/router/index"}) {
            var response = get(engine, target);
            assertEquals(200, response.statusCode(), target);
            assertEquals("index page", response.body(), target);
            assertEquals("text/plain; charset=utf-8", header(response, "Content-Type"));
        }
        assertEquals("login page", get(engine, "/router/login").body());
        var missing = get(engine, "/router/logout");
        assertEquals(404, missing.statusCode(), missing::toString);
        assertTrue(missing.body().contains("404"), missing::toString);
    }

    @ParameterizedTest(name = "{displayName} [{0}]")
    @ValueSource(strings = {"ours", "jdk"})
    @DisplayName("form: step06's form handler as an app, the body read from gateway.input, every field escaped")
    void form(String engine) throws Exception {
        var fields = form("firstname", "<b>Ada</b> & Grace") + "&" + form("message", "1 + 1 = 2\n你好");
        var posted = post(engine, "/form", fields);
        assertEquals(200, posted.statusCode(), posted::toString);
        assertTrue(posted.body().contains("Hello, &lt;b&gt;Ada&lt;/b&gt; &amp; Grace!"), posted::toString);
        assertTrue(posted.body().contains("1 + 1 = 2\n你好"), posted::toString);
        assertFalse(posted.body().contains("<b>Ada"), "the name went back unescaped");
        assertTrue(get(engine, "/form?firstname=Ada").body().contains("Hello, Ada!"));
        var text = Http.sendText(Http.request(on(engine).port(), "/form").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("firstname=Ada")).build());
        assertEquals(415, text.statusCode(), text::toString);
        var noLength = Http.exchange(on(engine).port(), "POST /form HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertEquals(411, noLength.status(), noLength::toString);
        var put = Http.sendText(Http.request(on(engine).port(), "/form")
                .PUT(HttpRequest.BodyPublishers.ofString("x")).build());
        assertEquals(405, put.statusCode(), put::toString);
        assertEquals("GET, HEAD, POST", header(put, "Allow"));
        // step 06's caps, kept by the app: no more than 100 fields, and what the page echoes stays small
        var many = post(engine, "/form", "a=1&".repeat(101));
        assertEquals(413, many.statusCode(), many::toString);
        var big = post(engine, "/form", "firstname=" + "%22".repeat(100_000));
        assertEquals(200, big.statusCode(), big::toString);
        assertTrue(big.body().length() < 10_000, "a 300 KB form echoed as " + big.body().length() + " characters");
    }

    @ParameterizedTest(name = "{displayName} [{0}]")
    @ValueSource(strings = {"ours", "jdk"})
    @DisplayName("environ: a query, a body and custom headers arrive under CGI's names and the gateway's keys")
    void environ(String engine) throws Exception {
        var body = "name=Ada&city=K%C3%B6ln";
        var response = Http.sendText(Http.request(on(engine).port(), "/environ/some/where?q=1&tag=%3Cx%3E")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("X-Custom", "<yes>")
                .header("Accept-Language", "en")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
        assertEquals(200, response.statusCode(), response::toString);
        var lines = response.body().lines().toList();
        for (var expected : new String[] {
                "REQUEST_METHOD = POST", "SCRIPT_NAME = /environ", "PATH_INFO = /some/where",
                "QUERY_STRING = q=1&amp;tag=%3Cx%3E", "CONTENT_TYPE = application/x-www-form-urlencoded",
                "CONTENT_LENGTH = " + body.length(), "SERVER_NAME = 127.0.0.1", "SERVER_PORT = " + on(engine).port(),
                "SERVER_PROTOCOL = HTTP/1.1", "REMOTE_ADDR = 127.0.0.1", "HTTP_X_CUSTOM = &lt;yes&gt;",
                "HTTP_ACCEPT_LANGUAGE = en", "gateway.url_scheme = http", "gateway.version = [1, 0]",
                "gateway.multithread = true", "body (" + body.length() + " bytes) = name=Ada&amp;city=K%C3%B6ln"})
            assertTrue(lines.contains(expected), () -> "no line '" + expected + "' in " + Show.brief(response.body()));
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("gateway.input = ")), response::toString);
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("gateway.errors = ")), response::toString);
        assertTrue(lines.stream().noneMatch(line -> line.startsWith("HTTP_CONTENT_")),
                "Content-Type and -Length have their own names");
    }

    @ParameterizedTest(name = "{displayName} [{0}]")
    @ValueSource(strings = {"ours", "jdk"})
    @DisplayName("todo: add, list (escaped), delete, each change answered 303 See Other; its CSS through the static"
            + " middleware")
    void todoRoundTrip(String engine) throws Exception {
        var text = "buy <milk> & eggs " + UUID.randomUUID();
        var added = post(engine, "/todo/add", form("text", text));
        assertEquals(303, added.statusCode(), added::toString);
        assertEquals("/todo/", header(added, "Location"));

        var page = get(engine, "/todo/");
        assertEquals(200, page.statusCode(), page::toString);
        assertTrue(page.body().contains("href=\"/todo/static/todo.css\""), page::toString);
        var escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        var item = Pattern.compile("value=\"(\\d+)\">.*</form> " + Pattern.quote(escaped) + "</li>")
                .matcher(page.body());
        assertTrue(item.find(), () -> "the new item, escaped, in\n" + Show.brief(page.body()));

        var deleted = post(engine, "/todo/delete", form("id", item.group(1)));
        assertEquals(303, deleted.statusCode(), deleted::toString);
        assertFalse(get(engine, "/todo/").body().contains(escaped), "the item is still listed after its delete");

        var css = get(engine, "/todo/static/todo.css");
        assertEquals(200, css.statusCode(), css::toString);
        assertEquals("text/css; charset=utf-8", header(css, "Content-Type"));
        assertEquals(400, post(engine, "/todo/add", form("text", "  ")).statusCode(), "an empty item");
        assertEquals(405, get(engine, "/todo/add").statusCode(), "GET /todo/add");
    }

    @ParameterizedTest(name = "{displayName} [{0}]")
    @ValueSource(strings = {"ours", "jdk"})
    @DisplayName("todo: a bad %-escape in its form (%zz, or %FF: no UTF-8) is the client's mistake: 400, not 500")
    void todoBadEscape(String engine) throws Exception {
        for (var form : new String[] {"text=%zz", "text=%FF", "text=50%", "id=%zz"}) {
            var response = post(engine, form.startsWith("id") ? "/todo/delete" : "/todo/add", form);
            assertEquals(400, response.statusCode(), () -> form + " -> " + Show.brief(response.body()));
            assertFalse(response.body().contains("Exception"), response::toString);
        }
    }

    @ParameterizedTest(name = "{displayName} [{0}]")
    @ValueSource(strings = {"ours", "jdk"})
    @DisplayName("todo: a burst of 50 additions at once loses none (a lock, and a file replaced whole)")
    void todoBurst(String engine) throws Exception {
        var prefix = "burst-" + UUID.randomUUID() + "-";
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            var results = new ArrayList<Future<HttpResponse<String>>>();
            for (int i = 0; i < 50; i++) {
                int n = i;
                results.add(pool.submit(() -> post(engine, "/todo/add", form("text", prefix + n))));
            }
            for (var result : results) assertEquals(303, result.get(30, TimeUnit.SECONDS).statusCode());
        }
        var page = get(engine, "/todo/").body();
        var added = Pattern.compile(Pattern.quote(prefix) + "\\d+</li>").matcher(page).results().count();
        assertEquals(50, added, () -> Show.brief(page));
    }

    @Test
    @DisplayName("todo: add, list, delete, restart the server (on the other engine), and it is all still there")
    void todoSurvivesRestart() throws Exception {
        var file = data.resolve("restart.txt");
        try (var first = ours.launch("Server.java").args("0", "--app", "todo", "--data", file.toString()).start()) {
            var port = first.port();
            for (var text : new String[] {"stays", "goes"})
                assertEquals(303, Http.sendText(Http.formRequest(port, "/add", form("text", text))).statusCode());
            var page = Http.sendText(Http.request(port, "/").build()).body();
            var goes = Pattern.compile("value=\"(\\d+)\">.*</form> goes</li>").matcher(page);
            assertTrue(goes.find(), () -> Show.brief(page));
            assertEquals(303, Http.sendText(Http.formRequest(port, "/delete", form("id", goes.group(1)))).statusCode());
        }
        var jdkEngine = ours.launch("Server.java").args("0", "--app", "todo", "--engine", "jdk", "--data",
                file.toString());
        try (var second = jdkEngine.start()) {
            var page = Http.sendText(Http.request(second.port(), "/").build()).body();
            assertTrue(page.contains("</form> stays</li>"), () -> Show.brief(page));
            assertFalse(page.contains("</form> goes</li>"), () -> Show.brief(page));
        }
        assertFalse(Files.exists(file.resolveSibling("restart.txt.tmp")), "a temporary file was left behind");
    }

    @Test
    @DisplayName("todo: no id is given twice, so a delete form loaded before a delete cannot remove a newer item")
    void todoNeverReusesAnId() throws Exception {
        var file = data.resolve("ids.txt");
        try (var todo = ours.launch("Server.java").args("0", "--app", "todo", "--data", file.toString()).start()) {
            int port = todo.port();
            todoAdd(port, "older");
            todoAdd(port, "newest");
            var newest = todoId(port, "newest");
            assertEquals(303, Http.sendText(Http.formRequest(port, "/delete", "id=" + newest)).statusCode());
            todoAdd(port, "newer still");
            assertNotEquals(newest, todoId(port, "newer still"), "the id of the deleted item was given again");
            assertEquals(303, Http.sendText(Http.formRequest(port, "/delete", "id=" + newest)).statusCode());  // stale
            var page = Http.sendText(Http.request(port, "/").build()).body();
            assertTrue(page.contains("</form> newer still</li>"), () -> "a stale form deleted it: " + Show.brief(page));
        }
    }

    @Test
    @DisplayName("todo: a line of its file that is no UTF-8 is skipped, reported and kept; the list is still served")
    void todoSkipsAnUnreadableLine() throws Exception {
        var file = data.resolve("latin1.txt");
        var latin1 = "2\tCaf\u00e9 in Latin-1";  // the é as one byte, 0xE9: not UTF-8
        Files.writeString(file, "1\tfirst\n" + latin1 + "\n3\tthird\n", StandardCharsets.ISO_8859_1);
        try (var todo = ours.launch("Server.java").args("0", "--app", "todo", "--data", file.toString()).start()) {
            var page = Http.sendText(Http.request(todo.port(), "/").build());
            assertEquals(200, page.statusCode(), page::toString);
            for (var expected : new String[] {"</form> first</li>", "</form> third</li>", "line 2"})
                assertTrue(page.body().contains(expected), () -> "no " + expected + " in " + Show.brief(page.body()));
            todo.awaitStderr("skipped line 2", LOG_WAIT);
            todoAdd(todo.port(), "fourth");
        }
        var kept = Files.readString(file, StandardCharsets.ISO_8859_1);
        assertTrue(kept.contains(latin1 + "\n"), () -> "the line was not kept: " + Show.brief(kept));
    }

    static void todoAdd(int port, String text) throws IOException {
        assertEquals(303, Http.sendText(Http.formRequest(port, "/add", form("text", text))).statusCode(), text);
    }

    /** The id in the delete form of the item with this text, on the todo app's page. */
    static String todoId(int port, String text) throws IOException {
        var page = Http.sendText(Http.request(port, "/").build()).body();
        var item = Pattern.compile("value=\"(\\d+)\">.*</form> " + Pattern.quote(text) + "</li>").matcher(page);
        assertTrue(item.find(), () -> "no " + text + " in " + Show.brief(page));
        return item.group(1);
    }

    // ---- one app, two servers

    @Test
    @DisplayName("one app, two servers: the same status, Content-Type and body from ours and the JDK's")
    void sameAnswersOnBothEngines() throws Exception {
        for (var target : new String[] {"/", "/hello", "/router/login", "/router/nope", "/site/", "/site/style.css",
                "/site/docs/", "/todo/static/todo.css", "/broken-status"}) {
            var a = Http.send(Http.request(ours.port(), target).build());
            var b = Http.send(Http.request(jdk.port(), target).build());
            assertEquals(a.statusCode(), b.statusCode(), target);
            assertEquals(a.headers().firstValue("Content-Type"), b.headers().firstValue("Content-Type"), target);
            assertArrayEquals(a.body(), b.body(), target);
        }
    }

    @ParameterizedTest(name = "{displayName} [{0}]")
    @ValueSource(strings = {"ours", "jdk"})
    @DisplayName("HEAD: the server drops the app's body")
    void headDropsTheBody(String engine) throws Exception {
        var response = Http.exchange(on(engine).port(), "HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertEquals(200, response.status(), response::toString);
        assertEquals(0, response.body().length, response::toString);
    }

    @Test
    @DisplayName("OPTIONS * asks the server itself, not an app: 200 (an app's validator under --app all gave 500)")
    void optionsAsterisk() throws Exception {
        var response = Http.exchange(ours.port(), "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertEquals(200, response.status(), response::toString);
    }

    @ParameterizedTest(name = "{displayName} [{0}]")
    @ValueSource(strings = {"ours", "jdk"})
    @DisplayName("the status is kept per request: a 200 held open while a 404 starts still goes out as 200")
    void statusPerRequest(String engine) throws Exception {
        // /overlap/first calls startResponse, then waits for /overlap/second to call its own: a status kept anywhere
        // but in the request's own variables (the seed kept it on the server object) is overwritten, every time.
        var first = Http.CLIENT.sendAsync(Http.request(on(engine).port(), "/overlap/first").build(),
                HttpResponse.BodyHandlers.ofString());
        var second = get(engine, "/overlap/second");
        var held = first.get(30, TimeUnit.SECONDS);
        assertEquals(404, second.statusCode(), second::toString);
        assertEquals(200, held.statusCode(), () -> "the held request went out with the other's status: " + held);
        assertTrue(held.body().startsWith("first: 200, mine, though"), () -> "no overlap: " + Show.brief(held.body()));
    }

    @ParameterizedTest(name = "{displayName} [{0}]")
    @ValueSource(strings = {"ours", "jdk"})
    @DisplayName("the access log has one Common Log Format line per request (on jdk, written by the accessLog"
            + " middleware)")
    void accessLogOnBothEngines(String engine) throws Exception {
        var marker = UUID.randomUUID().toString();
        assertEquals(200, get(engine, "/hello?" + marker).statusCode());
        var line = on(engine).awaitLine(l -> l.contains(marker), LOG_WAIT);
        var matcher = LOG_LINE.matcher(line);
        assertTrue(matcher.matches(), "not a Common Log Format line: " + line);
        assertEquals("GET /hello?" + marker + " HTTP/1.1", matcher.group(1));
        assertEquals("200", matcher.group(2));
        assertEquals("12", matcher.group(3));
    }

    // ---- the validator, and apps that fail

    @Test
    @DisplayName("--app all puts each app behind the validator: broken-no-type alone gets through, under all, 500")
    void allValidatesEachApp() throws Exception {
        try (var alone = ours.launch("Server.java").args("0", "--app", "broken-no-type").start()) {
            var response = Http.get(alone.port(), "/");
            assertEquals(200, response.status(), () -> "only a validator checks for a Content-Type: " + response);
            assertNull(response.header("Content-Type"), response::toString);
        }
        var stopped = get("ours", "/broken-no-type");
        assertEquals(500, stopped.statusCode(), () -> "all did not validate broken-no-type: " + stopped);
    }

    static Stream<Arguments> brokenApps() {
        return Stream.of("ours", "jdk").flatMap(engine -> Stream.of(
                arguments(engine, "/broken-no-start", "startResponse is called before the first chunk"),
                arguments(engine, "/broken-twice", "startResponse is called once"),
                arguments(engine, "/broken-status", "the status is 'NNN Reason', like '200 OK', not '200'"),
                arguments(engine, "/broken-header",
                        "a header value holds no CR, LF or other control character: X-Note"),
                arguments(engine, "/broken-no-type", "a body comes with a Content-Type"),
                arguments(engine, "/broken-204", "a 204 response has no body"),
                arguments(engine, "/broken-environ", "environ holds QUERY_STRING as a String")));
    }

    @ParameterizedTest(name = "{displayName} [{1} on {0}]")
    @MethodSource("brokenApps")
    @DisplayName("the validator stops an app that breaks a rule: 500 for the client, the rule named in the log")
    void validatorNamesTheRule(String engine, String target, String rule) throws Exception {
        var response = get(engine, target);
        assertEquals(500, response.statusCode(), response::toString);
        assertTrue(response.body().contains("500"), response::toString);
        assertFalse(response.body().contains("contract") || response.body().contains("Exception"),
                "the page leaks the server's inside");
        assertNull(header(response, "Set-Cookie"), "a header the app smuggled in");
        on(engine).awaitStderr("gateway contract broken: " + rule, LOG_WAIT);
    }

    @ParameterizedTest(name = "{displayName} [{0}]")
    @ValueSource(strings = {"ours", "jdk"})
    @DisplayName("the validator reports a body nobody closed, once the garbage collector finds it"
            + " (as wsgiref's __del__)")
    void validatorFindsAnUnclosedBody(String engine) throws Exception {
        var jcmd = Path.of(ProcessHandle.current().info().command().orElseThrow())
                .resolveSibling(Step.isWindows() ? "jcmd.exe" : "jcmd");
        Assumptions.assumeTrue(Files.isExecutable(jcmd), "no jcmd beside " + jcmd.getParent());
        var response = get(engine, "/broken-unclosed");
        assertEquals(200, response.statusCode(), "the client sees nothing wrong: " + response);
        var report = "the body is closed when the response is done (GET /broken-unclosed)";
        for (int i = 0; i < 5 && !on(engine).stderr().contains(report); i++) {
            var gc = new ProcessBuilder(jcmd.toString(), String.valueOf(on(engine).process().pid()), "GC.run")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                assertTrue(gc.waitFor(30, TimeUnit.SECONDS), "jcmd did not finish");
            } finally {
                gc.destroyForcibly();  // nothing a test starts outlives it
            }
            Thread.sleep(200);
        }
        on(engine).awaitStderr(report, LOG_WAIT);
    }

    @ParameterizedTest(name = "{displayName} [{0}]")
    @ValueSource(strings = {"ours", "jdk"})
    @DisplayName("an app that throws before startResponse: a 500 page, the trace in the log only")
    void appFailsEarly(String engine) throws Exception {
        var response = get(engine, "/broken-early");
        assertEquals(500, response.statusCode(), response::toString);
        assertFalse(response.body().contains("Exception") || response.body().contains("broken-early"),
                response::toString);
        on(engine).awaitStderr("IllegalStateException: broken-early fails before startResponse", LOG_WAIT);
    }

    @ParameterizedTest(name = "{displayName} [{0}]")
    @ValueSource(strings = {"ours", "jdk"})
    @DisplayName("an app that throws after its response started: the connection breaks, no fake success")
    void appFailsLate(String engine) throws Exception {
        assertThrows(IOException.class, () -> Http.send(Http.request(on(engine).port(), "/broken-late").build()));
        on(engine).awaitStderr("IllegalStateException: broken-late fails at its third chunk", LOG_WAIT);
    }

    // ---- what step 7 promised, now through apps

    @ParameterizedTest(name = "{displayName} [{0}]")
    @ValueSource(strings = {"ours", "jdk"})
    @DisplayName("site: step 7's files, form and CGI scripts, now apps (mounted at /site here), on both engines")
    void site(String engine) throws Exception {
        var index = Http.send(Http.request(on(engine).port(), "/site/").build());
        assertEquals(200, index.statusCode());
        assertArrayEquals(Files.readAllBytes(ours.folder().resolve("www/index.html")), index.body());
        var folder = get(engine, "/site/docs");
        assertEquals(301, folder.statusCode(), folder::toString);
        assertEquals("/site/docs/", header(folder, "Location"));
        assertTrue(get(engine, "/site/greet?firstname=Ada").body().contains("Hello, Ada!"));
        assertEquals(403, get(engine, "/site/cgi-bin/README.txt").statusCode(), "a file in cgi-bin that does not run");
        Assumptions.assumeFalse(Step.isWindows(), "env.sh needs sh");
        var script = get(engine, "/site/cgi-bin/env.sh/more?x=1");
        assertEquals(200, script.statusCode(), script::toString);
        for (var line : new String[] {"GATEWAY_INTERFACE=CGI/1.1", "SCRIPT_NAME=/site/cgi-bin/env.sh",
                "PATH_INFO=/more", "QUERY_STRING=x=1"})
            assertTrue(script.body().contains(line + "\n"), () -> "no " + line + " in " + Show.brief(script.body()));
    }

    @Test
    @DisplayName("site: a path outside the root, however it is spelled, reads nothing")
    void siteStaysInItsRoot() throws Exception {
        for (var escape : new String[] {"/site/%2e%2e/Server.java", "/site/..%2fServer.java",
                "/site/docs/..%5c..%5cServer.java", "/site/cgi-bin/%2e%2e/index.html", "/site/.gitignore"}) {
            var response = Http.get(ours.port(), escape);
            assertTrue(response.status() == 400 || response.status() == 404, escape + " -> " + response);
            assertErrorPage(response);
        }
        assertEquals(405, Http.exchange(ours.port(), "DELETE /site/style.css HTTP/1.1\r\nHost: x\r\n\r\n").status());
    }

    @Test
    @DisplayName("run as the README says (./jbang, no --app): step 7's site is the default app, its Java CGI script"
            + " included")
    void defaultAppThroughJbang() throws Exception {
        try (var site = ours.launch("Server.java").args("0").viaJbang().start()) {
            var response = Http.get(site.port(), "/");
            assertEquals(200, response.status(), response::toString);
            assertArrayEquals(Files.readAllBytes(ours.folder().resolve("www/index.html")), response.body());
            var body = HttpRequest.BodyPublishers.ofString(form("firstname", "<Ada>"));
            var posted = Http.sendText(Http.request(site.port(), "/cgi-bin/post.java")
                    .header("Content-Type", Http.FORM_TYPE).timeout(Duration.ofSeconds(30)).POST(body).build());
            assertEquals(200, posted.statusCode(), posted::toString);
            assertTrue(posted.body().contains("Hello, &lt;Ada&gt;!"), posted::toString);
            assertEquals(404, Http.get(site.port(), "/no-such-file").status());
        }
    }

    // ---- the command line

    @Test
    @DisplayName("--help lists every app; an unknown app or engine is an error with exit code 2")
    void commandLine() throws Exception {
        try (var help = ours.launch("Server.java").args("--help").start()) {
            assertEquals(0, help.awaitExit(Duration.ofSeconds(30)));
            for (var name : new String[] {"site", "hello", "router", "form", "environ", "todo", "overlap", "all",
                    "broken-late", "--engine", "--data"})
                assertTrue(help.stdout().contains(name),
                        () -> "--help does not mention " + name + "\n" + help.output());
        }
        try (var wrong = ours.launch("Server.java").args("0", "--app", "nope").start()) {
            assertEquals(2, wrong.awaitExit(Duration.ofSeconds(30)));
            assertTrue(wrong.stderr().startsWith("Error: unknown app 'nope'"), wrong::output);
            assertFalse(wrong.stderr().contains("Exception"), wrong::output);
        }
        try (var wrong = ours.launch("Server.java").args("0", "--engine", "tomcat").start()) {
            assertEquals(2, wrong.awaitExit(Duration.ofSeconds(30)));
            assertTrue(wrong.stderr().startsWith("Error: --engine is ours or jdk"), wrong::output);
        }
    }
}
