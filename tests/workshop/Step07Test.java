package workshop;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import static workshop.Fixtures.SECRET;
import static workshop.Fixtures.onPath;
import static workshop.Fixtures.symlink;

import java.io.*;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.time.Duration;
import java.time.Instant;
import java.util.*;
import java.util.stream.Stream;
import org.junit.jupiter.api.*;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

@Tag("step07")
@DisplayName("step07 cgi")
@Execution(ExecutionMode.CONCURRENT)  // two servers for all tests: each script runs in a process of its own anyway
class Step07Test extends KeepAliveContract implements BodyBounds {
    static final int CGI_TIMEOUT_MILLIS = 1000;                    // the hasty server's; the other keeps the real 10 s
    static final boolean SH = onPath("sh");                          // Windows without Git for Windows has no sh
    static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    static final Instant STARTED = Instant.now();  // a script's process started after this is one of ours
    /** Output that is no CGI response (tests/fixtures/step07/www/cgi-bin/NAME says how), and the lesson's own. */
    static final List<String> INVALID_SCRIPTS = List.of("bad-location.sh", "bad-name.sh", "bad-status.sh",
            "cr-in-value.sh", "no-blank-line.sh", "no-type.sh", "nul-in-value.sh", "status-1xx.sh", "broken.sh");

    @TempDir
    static Path parent;  // holds the document root and, beside it, what no URL may reach
    static Path root;    // a copy of the step's www/, plus the scripts only the tests need

    /** With the real CGI timeout: a Java script's JVM may take seconds on a busy machine. */
    @RegisterExtension
    static final StepServer server = StepServer.of(launch -> launch.args("-d", documentRoot().toString())
            .jvm(FAST_DEADLINE)).forContract();
    /** With a short CGI timeout, for the scripts that run too long. */
    @RegisterExtension
    static final StepServer hasty = StepServer.of(launch -> launch.args("-d", documentRoot().toString())
            .jvm("-Dworkshop.cgiTimeoutMillis=" + CGI_TIMEOUT_MILLIS));

    /** The step's www/ and the test scripts (tests/fixtures/step07), made once for both servers. */
    static synchronized Path documentRoot() throws IOException {
        if (root != null) return root;
        Fixtures.copyTree(server.folder().resolve("www"), parent.resolve("www"));
        var ran = parent.resolve("ran").toString().replace('\\', '/');  // what a script that must never run writes
        Fixtures.install(Fixtures.fixtures("step07"), parent, Map.of("SECRET", SECRET, "RAN", ran),
                "www/cgi-bin/hello.cgi", "www/cgi-bin/exec.txt");
        var cgi = parent.resolve("www/cgi-bin");
        symlink(cgi.resolve("link-out.sh"), Path.of("..", "outside.sh"));  // in cgi-bin, but really outside it
        symlink(parent.resolve("www/link-in.rb"), Path.of("cgi-bin", "secret.rb"));  // outside cgi-bin, really in it
        return root = parent.resolve("www");
    }

    /** Every script that wrote its pid is gone when the class ends, whatever the server did (or forgot) to stop it. */
    @AfterAll
    static void stopScripts() throws IOException {
        if (root == null) return;
        try (var pidFiles = Files.newDirectoryStream(root.resolve("cgi-bin"), "*.pid")) {
            for (var pidFile : pidFiles) {
                ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip()))  // and not a pid reused since:
                        .filter(script -> script.info().startInstant().map(STARTED::isBefore).orElse(false))
                        .ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    @Test
    @DisplayName("the form posts to a Java script, which greets the name escaped (through ./jbang, as the README says)")
    void formThroughJbang() throws Exception {
        try (var viaJbang = server.launch("Server.java").args("0").viaJbang().start()) {
            var page = Http.get(viaJbang.port(), "/");
            assertEquals(200, page.status(), page::toString);
            assertTrue(page.text().contains("action=\"/cgi-bin/post.java\""), () -> "the form's action: " + page);
            var form = "firstname=Zo%C3%AB+%3Cb%3E&lastname=x";
            var response = Http.sendText(Http.formRequest(viaJbang.port(), "/cgi-bin/post.java", form));
            var text = response.body();
            assertEquals(200, response.statusCode(), () -> Show.brief(text) + "\n" + viaJbang.output());
            assertEquals("text/html; charset=utf-8", response.headers().firstValue("Content-Type").orElse(null));
            assertTrue(text.contains("Hello, Zoë &lt;b&gt;!"), () -> Show.brief(text));
            assertFalse(text.contains("<b>"), () -> "the name went into HTML unescaped: " + Show.brief(text));
        }
    }

    @Test
    @DisplayName("a GET with a query string runs the Java script too; a malformed form gets the script's own 400")
    void javaScriptGet() throws Exception {
        var response = Http.get(server.port(), "/cgi-bin/post.java?firstname=Ada%20L%C3%B6w");
        assertEquals(200, response.status(), response::toString);
        assertTrue(response.text().contains("Hello, Ada Löw!"), response::toString);
        var bad = Http.get(server.port(), "/cgi-bin/post.java?firstname=%zz");
        assertEquals("HTTP/1.1 400 Bad Request", bad.statusLine(), bad::toString);
    }

    @Test
    @DisplayName("the seeds' post.py runs with python3 (where there is one)")
    void pythonScript() throws Exception {
        assumeTrue(onPath("python3"), "no python3 on the PATH");
        var response = Http.exchange(server.port(), Http.formPost("/cgi-bin/post.py", "firstname=%3Ci%3EGrace"));
        assertEquals(200, response.status(), response::toString);
        assertTrue(response.text().contains("Hello, &lt;i&gt;Grace!"), response::toString);
    }

    @Test
    @DisplayName("a GET's meta-variables, one by one: request headers as HTTP_*, but no Proxy and no Authorization")
    void environmentOfGet() throws Exception {
        assumeTrue(SH, "no sh");
        var response = Http.exchange(server.port(), "GET /cgi-bin/env.sh HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                + "\r\nX-Custom: <hello> & bye\r\nX-Twice: a\r\nX-Twice: b\r\nX_Under: 1"
                + "\r\nProxy: http://evil.example:8080"
                + "\r\nAuthorization: Basic c2VjcmV0\r\nConnection: close\r\n\r\n");
        assertEquals(200, response.status(), response::toString);
        assertNull(response.header("Content-Length"), "a script's output has no length known in advance");
        var env = environment(response);
        assertEquals("CGI/1.1", env.get("GATEWAY_INTERFACE"), env::toString);
        assertEquals("GET", env.get("REQUEST_METHOD"));
        assertEquals("HTTP/1.1", env.get("SERVER_PROTOCOL"));
        assertEquals(String.valueOf(server.port()), env.get("SERVER_PORT"));
        assertNotNull(env.get("SERVER_NAME"));
        assertNotNull(env.get("SERVER_SOFTWARE"));
        assertEquals("/cgi-bin/env.sh", env.get("SCRIPT_NAME"));
        assertEquals("", env.get("QUERY_STRING"), "QUERY_STRING is set, and empty");
        assertEquals("127.0.0.1", env.get("REMOTE_ADDR"));
        assertTrue(env.get("REMOTE_PORT").matches("[0-9]+"), env.get("REMOTE_PORT"));
        assertEquals("127.0.0.1:" + server.port(), env.get("HTTP_HOST"));
        assertEquals("<hello> & bye", env.get("HTTP_X_CUSTOM"));
        assertEquals("a, b", env.get("HTTP_X_TWICE"), "repeated fields are joined");
        assertFalse(env.containsKey("HTTP_X_UNDER"), "X_Under would pass for X-Under");
        assertFalse(env.containsKey("HTTP_PROXY"), "httpoxy: a Proxy header must not become HTTP_PROXY");
        assertFalse(env.containsKey("HTTP_AUTHORIZATION"), "credentials are not passed on");
        assertFalse(env.containsKey("CONTENT_LENGTH"), "no body, no CONTENT_LENGTH");
        assertFalse(env.containsKey("PATH_TRANSLATED"), "no PATH_INFO, no PATH_TRANSLATED");
        assertNotNull(env.get("PATH"), "PATH, to find programs");
        // The server's own environment stays its own.
        for (var name : List.of("HOME", "USER", "JAVA_HOME", "JAVA_TOOL_OPTIONS")) {
            if (System.getenv(name) != null)
                assertFalse(env.containsKey(name), name + " leaked into the script's environment");
        }
        assertEquals("", stdin(response), "a GET has no body: stdin is empty, and closed");
    }

    @Test
    @DisplayName("a POST's body reaches an sh script's stdin, with CONTENT_LENGTH and CONTENT_TYPE")
    void environmentOfPost() throws Exception {
        assumeTrue(SH, "no sh");
        var response = Http.exchange(server.port(), Http.formPost("/cgi-bin/env.sh", "firstname=%3Cb%3E&x=1"));
        assertEquals(200, response.status(), response::toString);
        var env = environment(response);
        assertEquals("POST", env.get("REQUEST_METHOD"));
        assertEquals("21", env.get("CONTENT_LENGTH"));
        assertEquals("application/x-www-form-urlencoded", env.get("CONTENT_TYPE"));
        assertFalse(env.containsKey("HTTP_CONTENT_LENGTH") || env.containsKey("HTTP_CONTENT_TYPE"), env::toString);
        assertEquals("firstname=%3Cb%3E&x=1", stdin(response));
    }

    @Test
    @DisplayName("a script that reads stdin to its end gets the whole body, then end-of-file")
    void stdinToTheEnd() throws Exception {
        assumeTrue(SH, "no sh");
        var form = "x=" + "0123456789".repeat(50_000) + "&end=here";  // 500 kB: more than a pipe holds
        var response = Http.exchange(hasty.port(), Http.formPost("/cgi-bin/env.sh", form));
        assertEquals(200, response.status(), "a script waiting for more input is killed: 504");
        assertEquals(form, stdin(response));
    }

    @Test
    @DisplayName("/cgi-bin/env.sh/extra/path?x=1 splits into SCRIPT_NAME, PATH_INFO (decoded) and QUERY_STRING (not)")
    void pathInfo() throws Exception {
        assumeTrue(SH, "no sh");
        var env = environment(Http.get(server.port(), "/cgi-bin/env.sh/extra/path%20two?x=1&y=%41"));
        assertEquals("/cgi-bin/env.sh", env.get("SCRIPT_NAME"), env::toString);
        assertEquals("/extra/path two", env.get("PATH_INFO"));
        assertEquals("x=1&y=%41", env.get("QUERY_STRING"));
        var translated = Path.of(env.get("PATH_TRANSLATED"));
        assertEquals(root.toRealPath().resolve("extra").resolve("path two"), translated,
                "PATH_INFO mapped into the root");
    }

    @Test
    @DisplayName("Status sets the status and its reason; the server keeps its own framing fields")
    void status() throws Exception {
        assumeTrue(SH, "no sh");
        var response = Http.get(server.port(), "/cgi-bin/status.sh");
        assertEquals("HTTP/1.1 201 Created", response.statusLine(), response::toString);
        assertEquals("yes", response.header("X-Script"));
        assertEquals("created\n", response.text());
        assertNull(response.header("Content-Length"), "the script's Content-Length: 999 was a lie");
        assertEquals("close", response.header("Connection"));
        assertEquals(List.of("workshop-step07"), response.headers().get("Server"));
        assertNull(response.header("Status"), "Status is for the server, not the client");
        var noReason = Http.get(server.port(), "/cgi-bin/no-reason.sh");
        assertEquals("HTTP/1.1 404 Not Found", noReason.statusLine(), "no reason: ours");
    }

    @Test
    @DisplayName("Location redirects: 302 when there is no Status, the script's own status when there is")
    void location() throws Exception {
        assumeTrue(SH, "no sh");
        var response = Http.get(server.port(), "/cgi-bin/redirect.sh");
        assertEquals("HTTP/1.1 302 Found", response.statusLine(), response::toString);
        assertEquals("/", response.header("Location"));
        var away = Http.get(server.port(), "/cgi-bin/away.sh");
        assertEquals(301, away.status(), away::toString);
        assertEquals("https://example.org/x?y=1", away.header("Location"));
        var local = Http.get(server.port(), "/cgi-bin/local-redirect.sh");  // a Location alone
        if (local.status() == 302) {
            assertEquals("/", local.header("Location"), local::toString);
        } else {  // exercise 5: the server answers the local path itself
            assertEquals(200, local.status(), local::toString);
            assertArrayEquals(Files.readAllBytes(root.resolve("index.html")), local.body());
        }
    }

    static Stream<String> invalidScripts() {
        return INVALID_SCRIPTS.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidScripts")
    @DisplayName("output that is not a valid CGI response gets 502, and the reason goes to the log only")
    void invalidResponse(String script) throws Exception {
        assumeTrue(SH, "no sh");
        var response = Http.get(server.port(), "/cgi-bin/" + script);
        assertEquals(502, response.status(), response::toString);
        assertErrorPage(response);
        assertFalse(response.text().contains("Set-Cookie"), response::toString);
        var log = "\"GET /cgi-bin/" + script + " HTTP/1.1\" 502 ";
        server.step().awaitLine(line -> line.contains(log), Duration.ofSeconds(5));
        server.step().awaitStderr("/cgi-bin/" + script + ": ", Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("a crashing Java script gets 502; its stack trace goes to the log, not to the client")
    void crash() throws Exception {
        var response = Http.get(server.port(), "/cgi-bin/crash.java");
        assertEquals(502, response.status(), response::toString);
        assertErrorPage(response);
        assertFalse(response.text().contains("boom"), response::toString);
        server.step().awaitStderr("/cgi-bin/crash.java: Exception in thread \"main\""
                + " java.lang.IllegalStateException: boom in crash.java", Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("what a script writes to stderr goes to the server's log, each line marked with the script's name")
    void stderrToLog() throws Exception {
        assumeTrue(SH, "no sh");
        var word = UUID.randomUUID().toString();
        assertEquals(200, Http.get(server.port(), "/cgi-bin/noisy.sh?" + word).status());
        server.step().awaitStderr("/cgi-bin/noisy.sh: noisy says " + word, Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("a script that prints nothing past the timeout is killed with its children: 504")
    void timeout() throws Exception {
        assumeTrue(SH, "no sh");
        long start = System.nanoTime();
        var response = Http.get(hasty.port(), "/cgi-bin/sleeper.sh");
        assertEquals(504, response.status(), response::toString);
        assertErrorPage(response);
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(CGI_TIMEOUT_MILLIS - 200).toNanos(),
                "504 before the timeout");
        assertGone(root.resolve("cgi-bin/sleeper.pid"));  // the script's child, "sleep 60"
        hasty.step().awaitStderr("/cgi-bin/sleeper.sh: no progress for " + CGI_TIMEOUT_MILLIS + " ms, killed",
                Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("a script that times out after its head was sent: the connection is reset, not closed as if complete")
    void timeoutAfterHead() throws Exception {
        assumeTrue(SH, "no sh");
        try (var socket = Http.connect(hasty.port())) {
            socket.getOutputStream().write(("GET /cgi-bin/slow-body.sh HTTP/1.1\r\nHost: x\r\n\r\n").getBytes());
            var received = new ByteArrayOutputStream();
            IOException error = null;
            try {
                socket.getInputStream().transferTo(received);
            } catch (IOException e) {
                error = e;  // a reset: the step's way to say "cut short"
            }
            var text = received.toString(StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1.1 200 OK\r\n"), () -> Show.brief(text));
            assertFalse(error instanceof SocketTimeoutException, () -> "no reset, and no end: " + Show.brief(text));
            // Closed rather than reset: only a chunked body, with no last chunk, can still say that it was cut short.
            if (error == null) {
                var chunked = text.toLowerCase(Locale.ROOT).contains("\r\ntransfer-encoding: chunked\r\n");
                assertTrue(chunked && !text.endsWith("\r\n0\r\n\r\n"),
                        () -> "no reset: the response ends as if complete: " + Show.brief(text));
            }
        }
    }

    @Test
    @DisplayName("a script's output is chunked on HTTP/1.1, and the connection serves on; on HTTP/1.0 the close ends"
            + " it, even where the client asked to keep the connection")
    void chunkedOrClosed() throws Exception {
        assumeTrue(SH, "no sh");
        try (var connection = Http.Connection.open(server.port())) {
            var first = connection.send("GET /cgi-bin/noisy.sh?chunked HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertEquals(200, first.status(), first::toString);
            assertEquals("chunked", first.header("Transfer-Encoding"), first::toString);
            assertNull(first.header("Content-Length"), first::toString);
            assertEquals("keep-alive", first.header("Connection"), first::toString);
            assertEquals("fine\n", first.text(), "the content, its last chunk read");
            var second = connection.send("GET /cgi-bin/status.sh HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertEquals("HTTP/1.1 201 Created", second.statusLine(), second::toString);
            assertEquals("created\n", second.text());
            assertEquals("keep-alive", second.header("Connection"), "the script's Connection is not the server's");
            var page = connection.send("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertEquals(200, page.status(), page::toString);
        }
        try (var connection = Http.Connection.open(server.port())) {
            var old = connection.send("GET /cgi-bin/noisy.sh?old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
            assertEquals(200, old.status(), old::toString);
            assertNull(old.header("Transfer-Encoding"), "HTTP/1.0 knows no chunks: " + old);
            assertNull(old.header("Content-Length"), old::toString);
            assertEquals("close", old.header("Connection"), old::toString);
            assertEquals("fine\n", old.text(), "the content, up to the close");
        }
    }

    @Test
    @DisplayName("a script that exits leaving a child that holds its output is answered when it exits, well before"
            + " the timeout, and the child is killed")
    void backgroundChild() throws Exception {
        assumeTrue(SH && POSIX, "no sh, or no process groups");
        long start = System.nanoTime();
        try (var connection = Http.Connection.open(server.port())) {
            connection.socket().setSoTimeout(6_000);  // the real timeout is 10 s: an answer must come well before
            var response = connection.send("GET /cgi-bin/background.sh HTTP/1.1\r\nHost: x\r\n\r\n").read();
            assertEquals(200, response.status(), response::toString);
            assertEquals("x\n", response.text());
        }
        long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
        assertTrue(millis < 5_000, "answered after " + millis + " ms: the script exits after 1 s");
        assertGone(root.resolve("cgi-bin/background.pid"));  // its "sleep 3600 &"
    }

    @Test
    @DisplayName("a script that prints only after the timeout gets 504, every time (10 at once): its late output never"
            + " goes out as a 200")
    void lateOutputIs504() throws Exception {
        assumeTrue(SH, "no sh");
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            var answers = new ArrayList<java.util.concurrent.Future<String>>();
            for (int i = 0; i < 10; i++) answers.add(pool.submit(() -> statusLineOf("/cgi-bin/late.sh")));
            var statusLines = new ArrayList<String>();
            for (var answer : answers) statusLines.add(answer.get(30, java.util.concurrent.TimeUnit.SECONDS));
            var wrong = statusLines.stream().filter(line -> !line.equals("HTTP/1.1 504 Gateway Timeout")).toList();
            assertTrue(wrong.isEmpty(), () -> wrong.size() + " of 10 got no 504: " + wrong);
        }
    }

    /** The status line the hasty server answers a GET with, and whether the rest was cut by a reset. */
    static String statusLineOf(String target) throws IOException {
        try (var connection = Http.Connection.open(hasty.port())) {
            connection.send("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            var received = new ByteArrayOutputStream();
            var cut = "";
            try {
                connection.in().transferTo(received);
            } catch (java.net.SocketException e) {
                cut = " (then a reset)";
            }
            var text = received.toString(StandardCharsets.ISO_8859_1);
            return (text.contains("\r\n") ? text.substring(0, text.indexOf("\r\n")) : Show.brief(text)) + cut;
        }
    }

    @Test
    @DisplayName("a script's 16 MiB, read slowly by its client over 3 s (the timeout is 1 s), arrives whole: a download"
            + " is no stall")
    void slowDownload() throws Exception {
        assumeTrue(SH, "no sh");
        int size = 16 << 20;  // more than the pipe and the sockets hold: the script is still writing after 1 s
        var socket = new java.net.Socket();
        socket.setReceiveBufferSize(32 * 1024);  // before connecting: the window the server sees is small
        socket.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), hasty.port()), 5000);
        socket.setSoTimeout(10_000);
        try (socket) {
            socket.getOutputStream().write("GET /cgi-bin/stream.sh HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            long start = System.nanoTime();
            var response = Http.read(new Paced(socket.getInputStream(), size / 3.0));  // bytes a second
            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertEquals(200, response.status(), response::toString);
            assertEquals(size, response.body().length, "bytes of the script's output");
            assertTrue(millis > 2 * CGI_TIMEOUT_MILLIS, "read in " + millis + " ms: not slowly enough to tell");
        }
        assertFalse(hasty.step().stderr().contains("/cgi-bin/stream.sh: no progress"), hasty.step()::output);
    }

    /** A stream read no faster than this many bytes a second, as a slow network delivers it. */
    static final class Paced extends FilterInputStream {
        final double rate;
        final long start = System.nanoTime();
        long count;

        Paced(InputStream in, double rate) {
            super(in);
            this.rate = rate;
        }

        @Override
        public int read() throws IOException {
            pace();
            int b = in.read();
            if (b != -1) count++;
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            pace();
            int n = in.read(buffer, offset, Math.min(length, 16 * 1024));
            if (n > 0) count += n;
            return n;
        }

        void pace() throws IOException {
            long due = start + (long) (count / rate * 1e9);  // when these bytes may have arrived at this rate
            long wait = due - System.nanoTime();
            if (wait <= 0) return;
            try {
                Thread.sleep(Duration.ofNanos(wait));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException();
            }
        }
    }

    @Test
    @DisplayName("endless header lines get 502 at the header limit; the server lives on")
    void endlessHead() throws Exception {
        assumeTrue(SH, "no sh");
        var response = Http.get(server.port(), "/cgi-bin/endless-head.sh");
        assertEquals(502, response.status(), response::toString);
        server.step().awaitStderr("/cgi-bin/endless-head.sh: its header block is longer than", Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("an endless body is streamed, and a client that hangs up kills the script")
    void endlessBodyAndHangUp() throws Exception {
        assumeTrue(SH, "no sh");
        try (var socket = Http.connect(server.port())) {
            socket.getOutputStream().write(("GET /cgi-bin/endless-body.sh HTTP/1.1\r\nHost: x\r\n\r\n").getBytes());
            var in = socket.getInputStream();
            assertEquals(200_000, in.readNBytes(200_000).length, "a streamed body goes on");
        }
        assertGone(root.resolve("cgi-bin/endless.pid"));
        assertFalse(server.step().stderr().contains("/cgi-bin/endless-body.sh: no progress"),
                "killed by the timeout, not by the hang-up");
    }

    @Test
    @DisplayName("post.java refuses what the form of step 6 refuses: a POST that is not urlencoded gets 415")
    void postJavaRefusesOtherTypes() throws Exception {
        var response = Http.sendText(Http.request(server.port(), "/cgi-bin/post.java").header("Content-Type",
                "text/plain").timeout(Duration.ofSeconds(30)).POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                "firstname=Ada")).build());
        assertEquals(415, response.statusCode(), response::body);
    }

    @Override
    public StepServer boundsServer() {
        return server;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/cgi-bin/secret.rb", "/cgi-bin/secret.txt", "/cgi-bin/secret.rb/more", "/cgi-bin/sub",
            "/cgi-bin/link-out.sh", "/link-in.rb", "/%63gi-bin/secret.txt", "/cgi-bin%2fsecret.txt",
            "/cgi-bin/exec.txt"})
    @DisplayName("a file in cgi-bin that is no script gets 403: never run, never sent")
    void notExecutable(String target) throws Exception {
        assumeTrue(!target.contains("link") || Files.isSymbolicLink(root.resolve("link-in.rb")), "no symlinks here");
        assumeTrue(!target.contains("exec") || POSIX, "no executable bit here");
        var response = Http.get(server.port(), target);
        assertEquals(403, response.status(), response::toString);
        assertErrorPage(response);
        assertNeverRan(response);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/cgi-bin/../outside.sh", "/cgi-bin/%2e%2e/outside.sh", "/cgi-bin/%2E%2E/%2E%2E/beyond.sh",
            "/cgi-bin/..%2f..%2fbeyond.sh", "/cgi-bin/sub/inner.sh", "/cgi-bin/./sub/inner.sh", "/cgi-bin//secret.rb",
            "/cgi-bin/%2fsecret.rb", "/cgi-bin/.%2e/cgi-bin/secret.rb", "/cgi-bin\\secret.rb", "/cgi-bin/", "/cgi-bin"})
    @DisplayName("dots, encodings and subfolders reach no script outside cgi-bin's own files")
    void tricks(String target) throws Exception {
        var response = Http.get(server.port(), target);
        assertTrue(Set.of(301, 400, 403, 404).contains(response.status()), response::toString);
        assertNeverRan(response);
    }

    @Test
    @DisplayName("a script outside cgi-bin is a file like any other: sent, never run")
    void outsideIsAFile() throws Exception {
        var response = Http.get(server.port(), "/outside.sh");
        assertEquals(200, response.status(), response::toString);
        assertTrue(response.text().startsWith("#!/bin/sh"), response::toString);
        assertFalse(Files.exists(parent.resolve("ran")), "outside.sh ran");
    }

    @Test
    @DisplayName("on Unix, an executable file that starts with #! runs without an extension we know")
    void shebang() throws Exception {
        assumeTrue(POSIX && SH, "no executable bit here");
        var response = Http.get(server.port(), "/cgi-bin/hello.cgi");
        assertEquals(200, response.status(), response::toString);
        assertEquals("hello from a shebang\n", response.text());
    }

    @Test
    @DisplayName("HEAD runs the script for its head and sends no body; PUT is not for scripts: 405")
    void headAndMethods() throws Exception {
        assumeTrue(SH, "no sh");
        var head = Http.exchange(server.port(), "HEAD /cgi-bin/env.sh HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals(200, head.status(), head::toString);
        assertEquals(0, head.body().length);
        var put = Http.exchange(server.port(), "PUT /cgi-bin/env.sh HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        assertEquals(405, put.status(), put::toString);
        assertTrue(put.header("Allow").contains("POST"), put.header("Allow"));
    }

    /** The NAME=value lines env.sh prints in its first pre block, unescaped. */
    static Map<String, String> environment(Http.Response response) {
        assertEquals(200, response.status(), response::toString);
        var env = new TreeMap<String, String>();
        for (var line : pre(response, 0).split("\n")) {
            int equals = line.indexOf('=');
            if (equals > 0) env.put(line.substring(0, equals), line.substring(equals + 1));
        }
        return env;
    }

    /** What env.sh read from its stdin: its second pre block, unescaped. */
    static String stdin(Http.Response response) {
        return pre(response, 1).replaceFirst("\n$", "");
    }

    static String pre(Http.Response response, int index) {
        var blocks = response.text().split("<pre>\n", -1);
        assertTrue(blocks.length > index + 1, response::toString);
        var block = blocks[index + 1];
        return block.substring(0, block.indexOf("</pre>"))
                .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    }

    void assertNeverRan(Http.Response response) {
        assertFalse(response.text().contains(SECRET), "a script's source was sent: " + response);
        assertFalse(response.text().contains("RAN-"), "a script ran: " + response);
        assertFalse(Files.exists(parent.resolve("ran")), "a script that must never run ran");
    }

    /** The script's process (its pid in this file) is gone within a few seconds. */
    static void assertGone(Path pidFile) throws Exception {
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            if (System.nanoTime() > deadline) fail("process " + pid + " (" + pidFile.getFileName() + ") still runs");
            Thread.sleep(50);
        }
    }
}
