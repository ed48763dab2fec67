package workshop;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.*;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.*;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@Tag("step06")
@DisplayName("step06 post-form")
@Execution(ExecutionMode.CONCURRENT)  // one server for all: each request is on its own connection
class Step06Test extends KeepAliveContract implements BodyBounds {
    static final int MAX_BODY_BYTES = 1 << 20;
    static final int BODY_TIMEOUT_MILLIS = 1000;
    static final String FORM_TYPE = Http.FORM_TYPE;
    /** A POST's head that promises 20 bytes of body, and the first 10 of them. */
    static final byte[] SHORT_BODY = ("POST /greet HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM_TYPE
            + "\r\nContent-Length: 20\r\n\r\nfirstname=").getBytes(StandardCharsets.ISO_8859_1);
    static final Pattern ROW = Pattern.compile("<tr><th>(.*?)</th><td>(.*?)</td></tr>\n", Pattern.DOTALL);

    /** Short deadlines for the head and the body, so that the 408 cases are quick. */
    @RegisterExtension
    static final StepServer server = StepServer.of(launch -> launch.jvm(FAST_DEADLINE,
            "-Dworkshop.bodyTimeoutMillis=" + BODY_TIMEOUT_MILLIS)).forContract();

    static byte[] post(String body) {
        return Http.formPost("/greet", body);
    }

    /**
     * Asserts that the answer to a form shows these rows: exactly these, in the greeting's table (the step's 200), or
     * each of their values, escaped, on the page a 303 See Other leads to (the guestbook and Post/Redirect/Get
     * exercises: that page lists every message, so it holds other rows too).
     */
    static void assertShows(String rows, Http.Response response) throws IOException {
        if (response.status() != 303) {
            assertEquals(rows, table(response));
            return;
        }
        var page = followRedirect(server.port(), response).text();
        for (var value : ROW.matcher(rows).results().map(row -> row.group(2)).filter(v -> !v.isEmpty()).toList()) {
            assertTrue(page.contains(value),
                    () -> "the page the 303 leads to does not show " + Show.brief(value) + ": " + Show.brief(page));
        }
    }

    /** The page that answers a form: the response itself, or the one its 303 See Other leads to. */
    static Http.Response shown(int port, Http.Response response) throws IOException {
        return response.status() == 303 ? followRedirect(port, response) : response;
    }

    /** After 303 See Other: the page its Location names, as a browser gets it (a GET on a new connection). */
    static Http.Response followRedirect(int port, Http.Response redirect) throws IOException {
        assertWellFramed(redirect);  // exercise 2: "check that Response.writeTo sends a correct empty body"
        var location = redirect.header("Location");
        assertNotNull(location, () -> "a 303 without a Location: " + redirect);
        var target = URI.create("http://127.0.0.1:" + port + "/greet").resolve(location);
        var query = target.getRawQuery() == null ? "" : "?" + target.getRawQuery();
        var page = Http.get(port, target.getRawPath() + query);
        assertEquals(200, page.status(), () -> "the page the 303 leads to: " + page);
        assertEquals("text/html; charset=utf-8", page.header("Content-Type"));
        return page;
    }

    /** The rows of the greeting's table, as the server wrote them. */
    static String table(Http.Response response) {
        assertEquals(200, response.status(), response::toString);
        assertEquals("text/html; charset=utf-8", response.header("Content-Type"));
        var text = response.text();
        int start = text.indexOf("<table>\n"), end = text.indexOf("</table>");
        assertTrue(start >= 0 && end > start, () -> "no table of fields: " + Show.brief(text));
        return text.substring(start + "<table>\n".length(), end);
    }

    static String row(String escapedName, String escapedValue) {
        return "<tr><th>" + escapedName + "</th><td>" + escapedValue + "</td></tr>\n";
    }

    // ---- the form and the files

    @Test
    @DisplayName("through ./jbang, as the README says: index.html holds the form, and the form is answered")
    void throughJbang() throws Exception {
        var www = server.folder().resolve("www");
        try (var step = server.launch("Server.java").args("0").viaJbang().start()) {
            var page = Http.send(Http.request(step.port(), "/").build());
            assertEquals(200, page.statusCode(), step::output);
            assertArrayEquals(Files.readAllBytes(www.resolve("index.html")), page.body());
            var html = new String(page.body(), StandardCharsets.UTF_8);
            assertTrue(html.contains("<form action=\"/greet\" method=\"post\">"), () -> Show.brief(html));
            assertTrue(html.contains("name=\"firstname\"") && html.contains("<textarea name=\"message\""),
                    () -> Show.brief(html));
            var answer = Http.sendText(Http.formRequest(step.port(), "/greet", "firstname=Ada"));
            boolean redirected = answer.statusCode() == 303;
            if (redirected) {  // exercise 2: the answer is the page the redirect leads to, fetched as a browser does
                var location = answer.headers().firstValue("Location").orElseThrow();
                var target = URI.create("http://127.0.0.1:" + step.port() + "/greet").resolve(location);
                answer = Http.sendText(HttpRequest.newBuilder(target).build());
            }
            assertEquals(200, answer.statusCode(), step::output);
            var body = answer.body();
            assertTrue(body.contains(redirected ? "Ada" : "<h1>Hello, Ada!</h1>"), () -> Show.brief(body));
        }
    }

    @Test
    @DisplayName("static files are still served byte for byte")
    void staticFiles() throws Exception {
        var www = server.folder().resolve("www");
        for (var name : new String[] {"index.html", "style.css", "test.jpg"})
            assertArrayEquals(Files.readAllBytes(www.resolve(name)), Http.get(server.port(), "/" + name).body(), name);
        assertEquals(200, Http.get(server.port(), "/docs/").status());
    }

    @Test
    @DisplayName("a browser-shaped POST (keep-alive, Origin, Sec-Fetch-*) gets the greeting, escaped, and the"
            + " connection is kept")
    void browserPost() throws Exception {
        var body = "firstname=%E5%BC%A0%E4%B8%89"
                + "&message=Hi%21%0D%0A1+%2B+1+%3D+2+%26+%3Cb%3Ebold%3C%2Fb%3E+%F0%9F%98%80";
        var head = """
                POST /greet HTTP/1.1\r
                Host: 127.0.0.1:8000\r
                User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0\r
                Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r
                Accept-Language: en-US,en;q=0.5\r
                Accept-Encoding: gzip, deflate, br, zstd\r
                Content-Type: application/x-www-form-urlencoded\r
                Content-Length: %d\r
                Origin: http://127.0.0.1:8000\r
                Connection: keep-alive\r
                Referer: http://127.0.0.1:8000/\r
                Upgrade-Insecure-Requests: 1\r
                Sec-Fetch-Dest: document\r
                Sec-Fetch-Mode: navigate\r
                Sec-Fetch-Site: same-origin\r
                Sec-Fetch-User: ?1\r
                Priority: u=0, i\r
                \r
                """.formatted(body.length());
        var response = Http.exchange(server.port(), head + body);
        assertEquals("keep-alive", response.header("Connection"), "the body was read whole: the connection is kept");
        if (response.status() != 303) assertTrue(response.text().contains("<h1>Hello, 张三!</h1>"), response::toString);
        var message = "Hi!\r\n1 + 1 = 2 &amp; &lt;b&gt;bold&lt;/b&gt; 😀";
        assertShows(row("firstname", "张三") + row("message", message), response);
    }

    @Test
    @DisplayName("a body split across many writes, with pauses, is read whole")
    void bodyInPieces() throws Exception {
        var body = "firstname=Ada&message=" + "x".repeat(40) + "%21";
        var request = post(body);
        int headEnd = request.length - body.length();
        try (var socket = Http.connect(server.port())) {
            var out = socket.getOutputStream();
            out.write(request, 0, headEnd + 3);  // the head and the body's start in one piece
            out.flush();
            for (int i = headEnd + 3; i < request.length; i += 7) {
                Thread.sleep(20);
                out.write(request, i, Math.min(7, request.length - i));
                out.flush();
            }
            var response = Http.read(socket.getInputStream());
            assertShows(row("firstname", "Ada") + row("message", "x".repeat(40) + "!"), response);
        }
    }

    record Form(String name, byte[] body, String rows) {
        Form(String name, String body, String rows) {
            this(name, body.getBytes(StandardCharsets.UTF_8), rows);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Form> forms() {
        return Stream.of(
                new Form("+ is a space, %2B a plus; & and = escaped", "firstname=a+b%2Bc%26d%3De",
                        row("firstname", "a b+c&amp;d=e")),
                new Form("UTF-8 escapes: Chinese and an emoji", "firstname=%E5%BC%A0%E4%B8%89&message=%F0%9F%98%80",
                        row("firstname", "张三") + row("message", "😀")),
                new Form("raw UTF-8 bytes, as curl -d sends them", "firstname=张三 😀", row("firstname", "张三 😀")),
                new Form("lower-case hex", "firstname=%e5%bc%a0", row("firstname", "张")),
                new Form("a repeated name keeps both values, in order", "a=1&b=2&a=3",
                        row("a", "1") + row("b", "2") + row("a", "3")),
                new Form("an empty value, a name without =, an empty pair", "empty=&flag&&x=1",
                        row("empty", "") + row("flag", "") + row("x", "1")),
                new Form("the value runs from the first = (the seed took the last)", "firstname=a=b=c",
                        row("firstname", "a=b=c")),
                new Form("a newline and a tab", "message=one%0D%0Atwo%09three", row("message", "one\r\ntwo\tthree")),
                new Form("an empty body", "", ""),
                new Form("HTML in a value is text", "firstname=%3Cscript%3Ealert(1)%3C%2Fscript%3E&q=%22%27",
                        row("firstname", "&lt;script&gt;alert(1)&lt;/script&gt;") + row("q", "&quot;&#39;")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("forms")
    @DisplayName("a urlencoded body is decoded field by field, and shown escaped")
    void formDecoding(Form form) throws Exception {
        var response = Http.exchange(server.port(), Http.formPost("/greet", "", form.body()));
        assertShows(form.rows(), response);
        if (response.status() != 303) assertTrue(response.text().contains("with POST"), response::toString);
    }

    @Test
    @DisplayName("a <script> value comes back as text, not as a script")
    void xss() throws Exception {
        var response = Http.exchange(server.port(), post("firstname=%3Cscript%3Ealert(1)%3C%2Fscript%3E"));
        var page = shown(server.port(), response);
        var escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
        var greeting = response.status() == 303 ? escaped : "<h1>Hello, " + escaped + "!</h1>";
        assertTrue(page.text().contains(greeting), page::toString);
        assertFalse(page.text().contains("<script"), page::toString);
    }

    @Test
    @DisplayName("GET /greet?... is answered from the query string, HEAD without a body")
    void getQuery() throws Exception {
        var response = Http.get(server.port(), "/greet?firstname=%E5%BC%A0%E4%B8%89&message=hi+there%21");
        assertEquals(row("firstname", "张三") + row("message", "hi there!"), table(response));
        assertTrue(response.text().contains("with GET"), response::toString);
        var head = Http.exchange(server.port(), "HEAD /greet?firstname=Ada HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals(200, head.status());
        assertEquals(0, head.body().length);
        var get = Http.get(server.port(), "/greet?firstname=Ada");
        assertEquals(String.valueOf(get.body().length), head.header("Content-Length"));
    }

    @Test
    @DisplayName("curl --data-urlencode posts the form (skipped without curl)")
    void curl(@TempDir Path dir) throws Exception {
        assumeTrue(Fixtures.onPath("curl"), "no curl on this machine");
        // From files, not arguments: an argument's encoding depends on the platform.
        Files.writeString(dir.resolve("firstname"), "张三");
        Files.writeString(dir.resolve("message"), "1+1=2 & <b>\n😀");
        var output = dir.resolve("output");
        // -L follows a 303 (exercise 2) as a browser does, with a GET; -w says whether it did.
        var process = new ProcessBuilder("curl", "-sS", "-L", "--max-time", "10", "-w", "\n%{num_redirects} redirects",
                "--data-urlencode", "firstname@" + dir.resolve("firstname"),
                "--data-urlencode", "message@" + dir.resolve("message"),
                "http://127.0.0.1:" + server.port() + "/greet")
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "curl did not finish");
        } finally {
            process.destroyForcibly();  // nothing a test starts outlives it
        }
        var text = Files.readString(output);
        assertEquals(0, process.exitValue(), () -> Show.brief(text));
        var rows = row("firstname", "张三") + row("message", "1+1=2 &amp; &lt;b&gt;\n😀");
        if (text.endsWith("\n0 redirects")) assertTrue(text.contains(rows), () -> Show.brief(text));
        else assertTrue(text.contains("张三") && text.contains("1+1=2 &amp; &lt;b&gt;\n😀"), () -> Show.brief(text));
    }

    @Test
    @DisplayName("a body of exactly 1 MiB is taken")
    void bodyAtLimit() throws Exception {
        var body = "firstname=" + "a".repeat(MAX_BODY_BYTES - "firstname=".length());
        var response = Http.exchange(server.port(), post(body));
        assertTrue(Set.of(200, 303).contains(response.status()), response::statusLine);  // 303: exercise 2
    }

    // ---- Expect: 100-continue

    @Test
    @DisplayName("Expect: 100-continue gets HTTP/1.1 100 Continue before the body is sent, then the answer")
    void expectContinue() throws Exception {
        var body = "firstname=Ada".getBytes(StandardCharsets.ISO_8859_1);
        var request = Http.formPost("/greet", "Expect: 100-continue\r\n", body);
        try (var socket = Http.connect(server.port())) {
            socket.getOutputStream().write(request, 0, request.length - body.length);  // the head only
            assertEquals("HTTP/1.1 100 Continue\r\n\r\n", Http.readHead(socket.getInputStream()));
            socket.getOutputStream().write(body);
            assertShows(row("firstname", "Ada"), Http.read(socket.getInputStream()));
        }
    }

    @Test
    @DisplayName("Java's HttpClient with expectContinue(true) gets its answer")
    void httpClientExpectContinue() throws Exception {
        var form = HttpRequest.BodyPublishers.ofString("firstname=" + "b".repeat(5000));
        var response = Http.send(Http.request(server.port(), "/greet").header("Content-Type", FORM_TYPE)
                .expectContinue(true).POST(form).build());
        assertTrue(Set.of(200, 303).contains(response.statusCode()), response::toString);
    }

    @Test
    @DisplayName("an HTTP/1.0 request's Expect is ignored (RFC 9110 §10.1.1): no 100")
    void expectIgnoredInHttp10() throws Exception {
        var request = "POST /greet HTTP/1.0\r\nContent-Type: " + FORM_TYPE + "\r\nContent-Length: 13\r\n"
                + "Expect: 100-continue\r\n\r\nfirstname=Ada";
        var response = Http.exchange(server.port(), request);
        assertShows(row("firstname", "Ada"), response);
    }

    record Refusal(String name, String head, int status) {
        @Override
        public String toString() {
            return name + " -> " + status;
        }
    }

    static Stream<Refusal> refusals() {
        var post = "POST /greet HTTP/1.1\r\nHost: x\r\n";
        var form = "Content-Type: " + FORM_TYPE + "\r\nExpect: 100-continue\r\n";
        return Stream.of(
                new Refusal("a 10 GiB body", post + form + "Content-Length: 10737418240\r\n\r\n", 413),
                new Refusal("1 MiB and one byte", post + form + "Content-Length: 1048577\r\n\r\n", 413),
                new Refusal("a 20-digit length", post + form + "Content-Length: 99999999999999999999\r\n\r\n", 413),
                new Refusal("text/plain",
                        post + "Content-Type: text/plain\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", 415),
                new Refusal("no length", post + form + "\r\n", 411),
                new Refusal("a POST to a file",
                        "POST /index.html HTTP/1.1\r\nHost: x\r\n" + form + "Content-Length: 5\r\n\r\n", 405),
                new Refusal("a POST to nothing",
                        "POST /missing HTTP/1.1\r\nHost: x\r\n" + form + "Content-Length: 5\r\n\r\n", 405),
                new Refusal("a PUT to the form",
                        "PUT /greet HTTP/1.1\r\nHost: x\r\n" + form + "Content-Length: 5\r\n\r\n", 405));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    @DisplayName("a request that will be refused gets its final status from the head alone, without 100 Continue;"
            + " a body announced, the connection closes")
    void refusedWithoutContinue(Refusal refusal) throws Exception {
        withServer(server -> {
            try (var connection = Http.Connection.open(server.port())) {
                var response = connection.send(refusal.head()).read();  // and no body
                assertNotEquals(100, response.status(), "100 Continue invited a body that will be refused");
                assertEquals(refusal.status(), response.status(), response::toString);
                assertErrorPage(response);
                // A body announced and not read: the connection closes (without a length, there is none to read).
                if (refusal.head().contains("Content-Length")) assertCloses(connection, response);
            }
        });
    }

    // ---- bad bodies

    static Stream<Case> badBodies() {
        var start = "POST /greet HTTP/1.1\r\nHost: x\r\n";
        var form = "Content-Type: " + FORM_TYPE + "\r\n";
        var arabicFive = new String("٥".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);  // as sent
        return Stream.of(
                new Case("no Content-Length", start + form + "\r\nfirstname=Ada", 411, true),
                new Case("Content-Length: +5", start + form + "Content-Length: +5\r\n\r\na=1&b", 400),
                new Case("Content-Length: -1", start + form + "Content-Length: -1\r\n\r\na=1&b", 400),
                new Case("Content-Length: 1e3", start + form + "Content-Length: 1e3\r\n\r\na=1&b", 400),
                new Case("Content-Length: 0x5", start + form + "Content-Length: 0x5\r\n\r\na=1&b", 400),
                new Case("Content-Length: 5 5", start + form + "Content-Length: 5 5\r\n\r\na=1&b", 400),
                new Case("an empty Content-Length", start + form + "Content-Length: \r\n\r\na=1&b", 400),
                new Case("Content-Length in Arabic-Indic digits",
                        start + form + "Content-Length: " + arabicFive + "\r\n\r\na=1&b", 400),
                new Case("Content-Length: 5, 6", start + form + "Content-Length: 5, 6\r\n\r\na=1&b=", 400),
                new Case("two Content-Length fields that differ",
                        start + form + "Content-Length: 5\r\nContent-Length: 6\r\n\r\na=1&b=", 400),
                new Case("a bad Content-Length on a GET",
                        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
                new Case("over 1 MiB", start + form + "Content-Length: 1048577\r\n\r\na=1", 413),
                new Case("a missing Content-Type", start + "Content-Length: 5\r\n\r\na=1&b", 415),
                new Case("text/plain", start + "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\na=1&b", 415),
                new Case("a type that only starts like a form's",
                        start + "Content-Type: application/x-www-form-urlencodedx\r\nContent-Length: 5\r\n\r\na=1&b",
                        415),
                new Case("%zz", start + form + "Content-Length: 5\r\n\r\na=%zz", 400, true),
                new Case("a truncated %4", start + form + "Content-Length: 4\r\n\r\na=%4", 400, true),
                new Case("a lone %", start + form + "Content-Length: 3\r\n\r\n%=1", 400, true),
                new Case("%C3%28, not UTF-8", start + form + "Content-Length: 8\r\n\r\na=%C3%28", 400, true),
                new Case("%C0%AE, an overlong '.'", start + form + "Content-Length: 8\r\n\r\na=%C0%AE", 400, true),
                new Case("a raw byte that is not UTF-8", start + form + "Content-Length: 3\r\n\r\na=\u00ff", 400, true),
                new Case("%zz in a GET's query", "GET /greet?a=%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, true),
                new Case("a POST to a file",
                        "POST /index.html HTTP/1.1\r\nHost: x\r\n" + form + "Content-Length: 5\r\n\r\na=1&b", 405),
                new Case("a DELETE to the form", "DELETE /greet HTTP/1.1\r\nHost: x\r\n\r\n", 405, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badBodies")
    @DisplayName("a bad body gets an error page, and the server keeps serving; a body left unread closes the"
            + " connection")
    void badBody(Case c) throws Exception {
        withServer(server -> {
            var response = answer(server.port(), c);
            assertEquals(c.status(), response.status(), response::toString);
            assertErrorPage(response);
            if (c.status() == 405) {
                var allow = c.request().contains("/greet") ? "GET, HEAD, POST" : "GET, HEAD";
                assertEquals(allow, response.header("Allow"));
            }
        });
    }

    // Two bodies the step refuses, which an exercise teaches it to take: either answer keeps the promise.

    static Stream<Case> chunkedBodies() {
        var head = "POST /greet HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM_TYPE
                + "\r\nTransfer-Encoding: chunked\r\n";
        var chunks = "5\r\na=1&b\r\n0\r\n\r\n";
        return Stream.of(
                new Case("Transfer-Encoding: chunked", head + "\r\n" + chunks, 411),
                // RFC 9112 §6.3: a server may refuse this (smuggling), or read the chunks and ignore the length
                new Case("Transfer-Encoding and Content-Length", head + "Content-Length: 5\r\n\r\n" + chunks, 400));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("chunkedBodies")
    @DisplayName("a chunked body is refused, or, where chunks are read (exercise 4), its fields are answered")
    void chunkedBody(Case c) throws Exception {
        withServer(server -> {
            var response = answer(server.port(), c);
            if (response.status() == c.status()) assertErrorPage(response);
            else assertShows(row("a", "1") + row("b", ""), response);
        });
    }

    @Test
    @DisplayName("multipart/form-data gets 415, or, where uploads are taken (exercise 3), 400 for a body with no parts")
    void multipartBody() throws Exception {
        var request = "POST /greet HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                + "Content-Length: 5\r\n\r\na=1&b";
        withServer(server -> {
            var response = Http.exchange(server.port(), request);
            assertTrue(Set.of(415, 400).contains(response.status()), response::toString);
            assertErrorPage(response);
        });
    }

    static Stream<Case> goodLengths() {
        var start = "POST /greet HTTP/1.1\r\nHost: x\r\n";
        var form = "Content-Type: " + FORM_TYPE + "\r\n";
        return Stream.of(
                new Case("Content-Length with spaces around it", start + form + "Content-Length:   5  \r\n\r\na=1&b",
                        200),
                new Case("Content-Length: 5, 5 (one length, said twice)",
                        start + form + "Content-Length: 5, 5\r\n\r\na=1&b", 200),
                new Case("two Content-Length fields that agree",
                        start + form + "Content-Length: 5\r\nContent-Length: 5\r\n\r\na=1&b", 200),
                new Case("leading zeros", start + form + "Content-Length: 0005\r\n\r\na=1&b", 200),
                new Case("the type in capitals, with a charset",
                        start + "Content-Type: Application/X-WWW-Form-Urlencoded; charset=UTF-8\r\n"
                                + "Content-Length: 5\r\n\r\na=1&b", 200));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goodLengths")
    @DisplayName("framing the RFC allows is taken")
    void goodLength(Case c) throws Exception {
        var response = Http.exchange(server.port(), c.request());
        assertShows(row("a", "1") + row("b", ""), response);
    }

    @Test
    @DisplayName("a body that stops short and half-closes gets 400")
    void shortBody() throws Exception {
        withServer(server -> {
            try (var socket = Http.connect(server.port())) {
                socket.getOutputStream().write(SHORT_BODY);
                socket.shutdownOutput();  // done sending, still listening
                var response = Http.read(socket.getInputStream());
                assertEquals(400, response.status(), response::toString);
                assertErrorPage(response);
            }
        });
    }

    @Test
    @DisplayName("a body that stops short and stays open gets 408 after the body deadline")
    void stalledBody() throws Exception {
        withServer(server -> {
            try (var socket = Http.connect(server.port())) {
                long start = System.nanoTime();
                socket.getOutputStream().write(SHORT_BODY);
                var response = Http.read(socket.getInputStream());
                assertEquals(408, response.status(), response::toString);
                assertTrue(System.nanoTime() - start >= (BODY_TIMEOUT_MILLIS - 100) * 1_000_000L,
                        "408 came before the deadline");
                assertErrorPage(response);
            }
        });
    }

    @Test
    @DisplayName("a body dripped a byte at a time gets 408: the deadline is for the whole body")
    void drippedBody() throws Exception {
        withServer(server -> {
            try (var socket = Http.connect(server.port())) {
                var head = "POST /greet HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM_TYPE
                        + "\r\nContent-Length: 100000\r\n\r\n";
                socket.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
                var limit = Duration.ofMillis(BODY_TIMEOUT_MILLIS * 4L);
                var drip = Http.drip(socket, "a", limit);
                assertTrue(drip.answeredInTime() && drip.answer().startsWith("HTTP/1.1 408 "),
                        () -> "no 408 within " + limit.toMillis() + " ms of dripping: " + Show.brief(drip.answer()));
            }
        });
    }

    // ---- what follows a body: the next request, once the body was read whole; else nothing

    @Test
    @DisplayName("a request pipelined right after a POST body is answered next, in order: the body was read whole,"
            + " and not a byte more")
    void pipelinedAfterPost() throws Exception {
        var next = "GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n";
        var posted = new String(post("firstname=Ada"), StandardCharsets.ISO_8859_1);
        try (var connection = Http.Connection.open(server.port())) {
            var response = connection.send(posted + next + posted).read();
            assertShows(row("firstname", "Ada"), response);
            assertEquals("keep-alive", response.header("Connection"), response::toString);
            var css = connection.read();
            assertEquals(200, css.status(), css::toString);
            assertArrayEquals(Files.readAllBytes(server.folder().resolve("www/style.css")), css.body());
            assertShows(row("firstname", "Ada"), connection.read());
            connection.assertOpen(Duration.ofMillis(300));
        }
    }

    @Test
    @DisplayName("a GET's body is not read, and what follows it is not answered: the connection closes")
    void getWithBody() throws Exception {
        var request = "GET /style.css HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde"
                + "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
        try (var connection = Http.Connection.open(server.port())) {
            var response = connection.send(request).read();
            assertEquals(200, response.status());
            assertArrayEquals(Files.readAllBytes(server.folder().resolve("www/style.css")), response.body());
            assertCloses(connection, response);  // a second answer would be to /index.html
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedBodies")
    @DisplayName("on a kept connection, a POST refused from its head is answered and the connection closes: its"
            + " body, and what follows it, are never read as a request")
    void refusedPostCloses(Case c) throws Exception {
        try (var connection = Http.Connection.open(server.port())) {
            var kept = connection.send(post("firstname=Ada")).read();  // a body read whole: the connection is kept
            assertEquals("keep-alive", kept.header("Connection"), kept::toString);
            var response = connection.send(c.request() + "GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertEquals(c.status(), response.status(), response::toString);
            assertCloses(connection, response);
        }
    }

    static Stream<Case> refusedBodies() {
        var start = "POST /greet HTTP/1.1\r\nHost: x\r\n";
        var body = "Content-Length: 23\r\n\r\nGET /index.html HTTP/1.1";  // a body that looks like a request
        return Stream.of(
                new Case("text/plain", start + "Content-Type: text/plain\r\n" + body, 415),
                new Case("over 1 MiB", start + "Content-Type: " + FORM_TYPE + "\r\nContent-Length: 1048577\r\n\r\na=1",
                        413),
                new Case("a POST to a file", "POST /style.css HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM_TYPE
                        + "\r\n" + body, 405));
    }

    @Override
    public StepServer boundsServer() {
        return server;
    }
}
