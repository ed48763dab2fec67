package workshop;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every HTTP step promises (WORKSHOP.md, "HTTP, from step03 on"), checked over a raw socket.
 * Each HTTP step's test class extends this and declares the server these checks run against:
 * a {@link StepServer} marked {@code forContract()}.
 */
@DisplayName("HTTP contract")
public abstract class HttpContract {
    /** Servers under test run with this head deadline instead of 10 s, so that 408 cases are quick. */
    public static final int HEAD_TIMEOUT_MILLIS = 1000;
    public static final String FAST_DEADLINE = "-Dworkshop.headTimeoutMillis=" + HEAD_TIMEOUT_MILLIS;
    static final Pattern LOG_LINE = Pattern.compile(
            "^127\\.0\\.0\\.1 - - \\[\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}]"  // the time
                    + " \"(.*)\" (\\d{3}) (\\d+|-)$");  // the request line, the status, the body's size

    /** The test class's server for these checks. */
    StepServer contractServer() {
        return StepServer.contractOf(getClass());
    }

    /** True where the step answers one request and exits: then each check gets a fresh process. */
    boolean oneShot() {
        return contractServer().isOneShot();
    }

    /** A request every step answers with 200, to show the server still serves after bad input. */
    protected String healthyTarget() {
        return "/";
    }

    interface Check {
        void run(Step server) throws Exception;
    }

    /** Runs a check against a server, then proves the step is still well: exited 0, or still serving. */
    protected void withServer(Check check) throws Exception {
        var server = contractServer().next();
        try {
            check.run(server);
            if (oneShot()) assertEquals(0, server.awaitExit(Duration.ofSeconds(10)), "exit code\n" + server.output());
            else assertEquals(200, Http.get(server.port(), healthyTarget()).status(), "a normal request after that");
        } finally {
            if (oneShot()) server.close();
        }
    }

    /**
     * A request and the status it gets. framingKept: the request was read whole before the error (a 501, a 404), so
     * the connection may stay open; otherwise the framing is in doubt (a malformed head, a body left unread), and the
     * answer must say Connection: close and the server must close.
     */
    record Case(String name, String request, int status, boolean framingKept) {
        Case(String name, String request, int status) {
            this(name, request, status, false);
        }

        @Override
        public String toString() {
            return name + " -> " + status;
        }
    }

    static Stream<Case> badRequests() {
        var longTarget = "/" + "a".repeat(9000);
        var bigHeader = "X-Big: " + "b".repeat(4000) + "\r\n";
        return Stream.of(
                new Case("request line without a version", "GET /\r\n\r\n", 400),
                new Case("request line with an extra part", "GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400),
                new Case("two spaces in the request line", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
                new Case("a TLS handshake sent to a plain HTTP port",
                        "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003\r\n\r\n", 400),
                new Case("a target that is not a path", "GET index.html HTTP/1.1\r\nHost: x\r\n\r\n", 400),
                new Case("a control character in the target", "GET /\u0001 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
                new Case("a malformed version", "GET / HTTP/1.1x\r\nHost: x\r\n\r\n", 400),
                new Case("HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
                new Case("HTTP/9.9", "GET / HTTP/9.9\r\nHost: x\r\n\r\n", 505),
                new Case("HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505),
                new Case("an unknown method", "BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 501, true),
                new Case("a lower-case method (methods are case-sensitive)", "get / HTTP/1.1\r\nHost: x\r\n\r\n", 501,
                        true),
                new Case("no Host in HTTP/1.1", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
                new Case("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
                new Case("a header field without a colon", "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400),
                new Case("a space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
                new Case("a folded header line", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n", 400),
                new Case("a NUL in a header value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n", 400),
                new Case("a bare CR inside a line", "GET / HTTP/1.1\rX\r\nHost: x\r\n\r\n", 400),
                new Case("a request line over 8 KiB", "GET " + longTarget + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
                new Case("a header section over 64 KiB", "GET / HTTP/1.1\r\nHost: x\r\n" + bigHeader.repeat(17)
                        + "\r\n", 431),
                new Case("101 header fields", "GET / HTTP/1.1\r\nHost: x\r\n" + "X-A: 1\r\n".repeat(100) + "\r\n",
                        431));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    @DisplayName("bad input gets an HTML error page with the right status; where the framing is in doubt, the"
            + " connection closes")
    void badRequestGetsErrorPage(Case c) throws Exception {
        withServer(server -> {
            var response = answer(server.port(), c);
            assertEquals(c.status(), response.status(), response::toString);
            assertErrorPage(response);
        });
    }

    /**
     * A case's request on a connection of its own, and its answer, read by its framing. Where the case leaves the
     * framing in doubt, the answer says Connection: close, and the server closes (whether it kept the others or not).
     */
    static Http.Response answer(int port, Case c) throws IOException {
        try (var connection = Http.Connection.open(port)) {
            var response = connection.send(c.request()).read();
            if (!c.framingKept() && response.status() == c.status()) assertCloses(connection, response);
            return response;
        }
    }

    /** The answer says Connection: close, and the server closes the connection (within the time a linger may take). */
    static void assertCloses(Http.Connection connection, Http.Response response) throws IOException {
        assertEquals("close", response.header("Connection"), () -> "where the framing is in doubt: " + response);
        connection.assertClosed(Duration.ofSeconds(3));
    }

    @Test
    @DisplayName("a known method that is not allowed gets 405 with Allow")
    void methodNotAllowed() throws Exception {
        withServer(server -> {
            var response = Http.exchange(server.port(), "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(405, response.status(), response::toString);
            assertTrue(response.header("Allow").contains("GET"), "Allow: " + response.header("Allow"));
            assertErrorPage(response);
        });
    }

    @Test
    @DisplayName("HEAD gets GET's headers and no body")
    void headHasNoBody() throws Exception {
        withServer(server -> {
            var response = Http.exchange(server.port(), "HEAD " + healthyTarget() + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, response.status(), response::toString);
            assertEquals(0, response.body().length, "body bytes after a HEAD response");
            assertTrue(Long.parseLong(response.header("Content-Length")) > 0, "Content-Length of the GET body");
        });
    }

    @Test
    @DisplayName("a head that arrives one byte at a time is answered")
    void headOneByteAtATime() throws Exception {
        withServer(server -> {
            try (var socket = Http.connect(server.port())) {
                var head = "GET " + healthyTarget() + " HTTP/1.1\r\nHost: x\r\n\r\n";
                Http.writeInPieces(socket, List.of(head.split("")), 2);
                assertEquals(200, Http.read(socket.getInputStream()).status());
            }
        });
    }

    @Test
    @DisplayName("a head split across writes, with bare LF line ends, is answered")
    void headInPiecesWithBareLf() throws Exception {
        withServer(server -> {
            try (var socket = Http.connect(server.port())) {
                var pieces = List.of("GE", "T " + healthyTarget() + " HT", "TP/1.1\nHo", "st: x\n", "\n");
                Http.writeInPieces(socket, pieces, 50);
                assertEquals(200, Http.read(socket.getInputStream()).status());
            }
        });
    }

    @Test
    @DisplayName("a head that ends before its empty line gets 400")
    void headEndsEarly() throws Exception {
        withServer(server -> {
            try (var socket = Http.connect(server.port())) {
                socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n".getBytes());
                socket.shutdownOutput();  // the client is done sending, and still listens
                var response = Http.read(socket.getInputStream());
                assertEquals(400, response.status(), response::toString);
            }
        });
    }

    @Test
    @DisplayName("a client that sends nothing gets 408 after the head deadline")
    void silentClientGets408() throws Exception {
        withServer(server -> {
            try (var connection = Http.Connection.open(server.port())) {
                long start = System.nanoTime();
                var response = connection.read();
                assertEquals(408, response.status(), response::toString);
                assertTrue(System.nanoTime() - start >= (HEAD_TIMEOUT_MILLIS - 100) * 1_000_000L,
                        "408 came before the deadline");
                assertErrorPage(response);
                assertCloses(connection, response);
            }
        });
    }

    @Test
    @DisplayName("a client that drips its head byte by byte gets 408: the deadline is for the whole head")
    void slowDripGets408() throws Exception {
        withServer(server -> {
            try (var socket = Http.connect(server.port())) {
                var limit = Duration.ofMillis(HEAD_TIMEOUT_MILLIS * 4L);
                var drip = Http.drip(socket, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + "z".repeat(1000), limit);
                assertTrue(drip.answeredInTime() && drip.answer().contains(" 408 "),
                        () -> "no 408 within " + limit.toMillis() + " ms of dripping: " + Show.brief(drip.answer()));
            }
        });
    }

    /** How long a server lingers in all (Http.LINGER_TIMEOUT), dropping what a client sends after its answer. */
    static final Duration LINGER = Duration.ofSeconds(2);

    @Test
    @DisplayName("a client that keeps sending after an answer that refused its body is cut off after the linger"
            + " deadline (2 s in all, not 2 s a read)")
    void lingerHasATotalDeadline() throws Exception {
        withServer(server -> {
            try (var connection = Http.Connection.open(server.port())) {
                // A body refused from the head (405 or 413), never read: the server answers, then lingers to drop it
                // before it closes.
                connection.send("POST " + healthyTarget() + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + Http.FORM_TYPE
                        + "\r\nContent-Length: 10737418240\r\n\r\n");
                var response = connection.read();
                assertTrue(response.status() == 405 || response.status() == 413, response::toString);
                assertEquals("close", response.header("Connection"), "a body left unread: the connection closes");
                var limit = LINGER.plusMillis(2500);  // a byte every 500 ms: a close shows at the second write after it
                var cut = Http.dripUntilCut(connection.socket(), Duration.ofMillis(500), limit);
                assertTrue(cut.isPresent(), () -> "still connected " + limit.toMillis() + " ms after the answer,"
                        + " a byte every 500 ms: the linger has no total deadline");
            }
        });
    }

    @Test
    @DisplayName("a request read whole, answered with Connection: close, is closed at once: a linger is only for input"
            + " left unread")
    void noLingerWithoutUnreadInput() throws Exception {
        withServer(server -> {
            try (var connection = Http.Connection.open(server.port())) {
                var response = connection.send("GET " + healthyTarget()
                        + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").read();
                assertEquals(200, response.status(), response::toString);
                assertCloses(connection, response);
                var limit = Duration.ofMillis(1500);  // a linger would take what we send for 2 s
                var cut = Http.dripUntilCut(connection.socket(), Duration.ofMillis(50), limit);
                assertTrue(cut.isPresent(), () -> "the server still took our bytes " + limit.toMillis()
                        + " ms after its answer: it lingers where nothing was left unread");
            }
        });
    }

    @Test
    @DisplayName("running out of file descriptors does not stop it: when connections close, it serves again")
    void outOfFiles() throws Exception {
        assumeFalse(oneShot(), "this step serves one connection and exits");
        assumeTrue(!Step.isWindows() && Files.isExecutable(Path.of("/bin/bash")), "needs bash's ulimit");
        try (var limited = contractServer().launch("Server.java").args("0").jvm(FAST_DEADLINE).fileLimit(200).start()) {
            var silent = new ArrayList<Socket>();
            try {
                for (int i = 0; i < 300; i++) silent.add(Http.connect(limited.port()));  // more than it may hold open
                limited.awaitStderr("Cannot accept a connection", Duration.ofSeconds(10));
            } finally {
                for (var socket : silent) socket.close();
            }
            assertEquals(200, Http.get(limited.port(), healthyTarget()).status(), limited::output);
        }
    }

    @Test
    @DisplayName("each request is logged in the Common Log Format, control characters escaped")
    void accessLog() throws Exception {
        withServer(server -> {
            Http.exchange(server.port(), "GET /log-check\u0001\u001b[31m\" HTTP/1.1\r\nHost: x\r\n\r\n");
            var line = server.awaitLine(l -> l.contains("/log-check"), Duration.ofSeconds(5));
            var matcher = LOG_LINE.matcher(line);
            assertTrue(matcher.matches(), "not a Common Log Format line: " + line);
            assertEquals("GET /log-check\\x01\\x1b[31m\\x22 HTTP/1.1", matcher.group(1));
            assertEquals("400", matcher.group(2));
        });
    }

    @Test
    @DisplayName("--help prints the usage on stdout and exits 0")
    void help() throws IOException {
        Cli.assertHelp(contractServer(), "Server.java");
    }

    @ParameterizedTest(name = "Server.java {0}")
    @ValueSource(strings = {"abc", "70000", "+80", "-x"})
    @DisplayName("a bad argument gets one Error line and the usage on stderr, exit 2")
    void badArgument(String argument) throws IOException {
        Cli.assertUsageError(contractServer(), "Server.java " + argument);
    }

    @Test
    @DisplayName("a port in use gets one Error line, exit 1")
    void portInUse() throws IOException {
        try (var taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Cli.assertPortInUse(contractServer(), taken.getLocalPort());
        }
    }

    /**
     * Every response of ours has these, errors included: WORKSHOP.md's list. Connection says what the server does
     * next: close (step 03, an error that leaves the framing in doubt, a client that asked), or keep-alive.
     */
    static void assertWellFramed(Http.Response response) {
        assertTrue(response.statusLine().matches("HTTP/1\\.1 \\d{3} [A-Za-z][A-Za-z -]*"), response.statusLine());
        assertTrue(List.of("close", "keep-alive").contains(String.valueOf(response.header("Connection"))),
                () -> "Connection: close or keep-alive, not " + response.header("Connection"));
        assertNotNull(response.header("Date"), "Date");
        assertNotNull(response.header("Server"), "Server");
        assertEquals(String.valueOf(response.body().length), response.header("Content-Length"), "Content-Length");
    }

    static void assertErrorPage(Http.Response response) {
        assertWellFramed(response);
        assertEquals("text/html; charset=utf-8", response.header("Content-Type"));
        assertTrue(response.text().contains(String.valueOf(response.status())),
                () -> "the page names its status: " + response);
        assertFalse(response.text().matches("(?s).*(Exception|\\tat |/home/|/work/|/tmp/).*"),
                () -> "the page leaks the server's inside: " + response);
    }
}
