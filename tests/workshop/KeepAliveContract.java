package workshop;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * HTTP/1.1 persistent connections (RFC 9112 §9), from step 04 on, over a raw socket: a connection carries requests
 * until the client closes it, says Connection: close, speaks HTTP/1.0 without asking for keep-alive, or stays idle
 * past the idle deadline; pipelined requests are answered in order; an error that leaves the framing in doubt, or a
 * body left unread, answers and closes. Each HTTP step from step 04 on extends this instead of {@link HttpContract}.
 * Step 03 answers one request and closes: each of these checks fails there.
 */
@DisplayName("HTTP/1.1 keep-alive")
public abstract class KeepAliveContract extends HttpContract {
    /** The idle deadline of the server the idle checks start (workshop.idleTimeoutMillis; 10 s by default). */
    static final int IDLE_MILLIS = 700;
    /** How long a kept connection must stay open and quiet to count as kept. */
    static final Duration QUIET = Duration.ofMillis(300);
    static final Pattern RESOURCE = Pattern.compile(
            "(?:src|href)=\"([^\"#?]+\\.(?:jpg|jpeg|png|gif|svg|webp|ico|css|js))\"");

    /** A page a browser would show: it names a picture or a stylesheet, which the browser asks for next. */
    protected String browserPage() {
        return healthyTarget();
    }

    /** Requests whose body this server leaves unread, with the status each gets: a GET's body, a refused POST's. */
    protected Map<String, Integer> unreadBodies() {
        var form = "Content-Type: " + Http.FORM_TYPE + "\r\nContent-Length: 5\r\n\r\na=1&b";
        return Map.of("GET " + healthyTarget() + " HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde", 200,
                "POST " + healthyTarget() + " HTTP/1.1\r\nHost: x\r\n" + form, 405);
    }

    /** A target this server answers 404, after reading the whole request. */
    protected String missingTarget() {
        return "/no-such-thing";
    }

    int port() throws IOException {
        return contractServer().next().port();
    }

    static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }

    /** The answer has this status and says Connection: keep-alive; where it has a Content-Length, it is the body's. */
    static void assertKept(Http.Response response, int status) {
        assertEquals(status, response.status(), response::toString);
        assertEquals("keep-alive", response.header("Connection"), () -> "the connection should be kept: " + response);
        var length = response.header("Content-Length");
        if (length != null && !response.headers().containsKey("Transfer-Encoding"))
            assertEquals(length, String.valueOf(response.body().length), "Content-Length");
    }

    /** The same for the answer to a HEAD: a head, no body. */
    static void assertKeptHead(Http.Response response, int status) {
        assertEquals(status, response.status(), response::toString);
        assertEquals("keep-alive", response.header("Connection"), () -> "the connection should be kept: " + response);
        assertEquals(0, response.body().length, "a body after a HEAD's answer");
    }

    @Test
    @DisplayName("one connection carries request after request, each answered in order with Connection: keep-alive;"
            + " an error after a whole request (404, 405, 501) keeps it too")
    void requestsOnOneConnection() throws Exception {
        try (var connection = Http.Connection.open(port())) {
            var page = connection.send(get(healthyTarget())).read();
            assertKept(page, 200);
            assertKept(connection.send(get(missingTarget())).read(), 404);
            assertKept(connection.send("DELETE " + healthyTarget() + " HTTP/1.1\r\nHost: x\r\n\r\n").read(), 405);
            assertKept(connection.send("BREW / HTTP/1.1\r\nHost: x\r\n\r\n").read(), 501);
            var head = connection.send("HEAD " + healthyTarget() + " HTTP/1.1\r\nHost: x\r\n\r\n").read(true);
            assertKeptHead(head, 200);
            assertEquals(String.valueOf(page.body().length), head.header("Content-Length"), "HEAD's Content-Length");
            var again = connection.send(get(healthyTarget())).read();  // a HEAD's answer had no body to skip
            assertKept(again, 200);
            assertArrayEquals(page.body(), again.body(), "the same page, the second time");
            connection.assertOpen(QUIET);
        }
    }

    @Test
    @DisplayName("requests pipelined in one write are answered in order, the last one's Connection: close honoured")
    void pipelined() throws Exception {
        try (var connection = Http.Connection.open(port())) {
            connection.send(get(healthyTarget()) + get(missingTarget())
                    + "HEAD " + healthyTarget() + " HTTP/1.1\r\nHost: x\r\n\r\n");
            var page = connection.read();
            assertKept(page, 200);
            assertKept(connection.read(), 404);
            var head = connection.read(true);
            assertKeptHead(head, 200);
            assertEquals(String.valueOf(page.body().length), head.header("Content-Length"), "HEAD's Content-Length");
            connection.send(get(missingTarget()) + "GET " + healthyTarget()
                    + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertKept(connection.read(), 404);
            var last = connection.read();
            assertEquals(200, last.status(), last::toString);
            assertArrayEquals(page.body(), last.body(), "the page, again");
            assertCloses(connection, last);
        }
    }

    @Test
    @DisplayName("a browser's visit: the page, then the picture and stylesheet it names, all on one connection")
    void browserVisit() throws Exception {
        int port = port();
        try (var connection = Http.Connection.open(port)) {
            var page = connection.send(browserGet(browserPage())).read();
            assertKept(page, 200);
            var names = RESOURCE.matcher(page.text()).results().map(m -> m.group(1)).distinct().toList();
            assertFalse(names.isEmpty(), () -> "the page names no picture and no stylesheet: " + page);
            for (var name : names) {
                var target = URI.create("http://x" + browserPage()).resolve(name).getRawPath();
                var response = connection.send(browserGet(target)).read();
                assertKept(response, 200);
                assertArrayEquals(Http.get(port, target).body(), response.body(), target + ", on the kept connection");
            }
            connection.assertOpen(QUIET);
        }
    }

    /** A GET as Firefox sends it, asking to keep the connection. */
    static String browserGet(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0\r\n"
                + "Accept: */*\r\nAccept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\n\r\n";
    }

    @Test
    @DisplayName("curl URL URL asks both on one connection, as the lesson shows with curl -v (skipped without curl)")
    void curlReusesItsConnection() throws Exception {
        assumeTrue(Fixtures.onPath("curl"), "no curl on this machine");
        var url = "http://127.0.0.1:" + port() + healthyTarget();
        var nowhere = Step.isWindows() ? "NUL" : "/dev/null";
        var process = new ProcessBuilder("curl", "-sS", "--max-time", "10", "-o", nowhere, "-o", nowhere,
                "-w", "%{http_code} %{num_connects}\\n", url, url).redirectErrorStream(true).start();
        try {
            assertTrue(process.waitFor(20, TimeUnit.SECONDS), "curl did not finish");
            var output = new String(process.getInputStream().readAllBytes()).strip();
            assertEquals(0, process.exitValue(), output);
            assertEquals(List.of("200 1", "200 0"), output.lines().toList(),
                    "each URL's status and the new connections it took: the second none");
        } finally {
            process.destroyForcibly();  // nothing a test starts outlives it
        }
    }

    @Test
    @DisplayName("a kept connection left idle past the idle deadline is closed, without a word (no 408); one in use is"
            + " not")
    void idleDeadline() throws Exception {
        var launch = contractServer().serverLaunch().jvm("-Dworkshop.idleTimeoutMillis=" + IDLE_MILLIS);
        try (var quick = launch.start(); var connection = Http.Connection.open(quick.port())) {
            for (int i = 0; i < 3; i++) {  // 1.2 s in all, never idle for long: the deadline is for the silence
                assertKept(connection.send(get(healthyTarget())).read(), 200);
                Thread.sleep(IDLE_MILLIS * 4 / 7);
            }
            long start = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(IDLE_MILLIS * 4 / 7);
            connection.assertClosed(Duration.ofMillis(IDLE_MILLIS + 3000));  // and nothing sent: no 408 page
            long idle = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(idle >= IDLE_MILLIS - 100, "closed after " + idle + " ms, before the idle deadline of "
                    + IDLE_MILLIS + " ms");
            assertEquals(200, Http.get(quick.port(), healthyTarget()).status(), quick::output);
        }
    }

    @Test
    @DisplayName("HTTP/1.0 gets Connection: close and a close; with Connection: keep-alive, its connection is kept")
    void http10() throws Exception {
        try (var connection = Http.Connection.open(port())) {
            var response = connection.send("GET " + healthyTarget() + " HTTP/1.0\r\n\r\n").read();
            assertEquals(200, response.status(), response::toString);
            assertCloses(connection, response);
        }
        try (var connection = Http.Connection.open(port())) {
            var keepAlive = "GET " + healthyTarget() + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
            assertKept(connection.send(keepAlive).read(), 200);
            assertKept(connection.send(keepAlive).read(), 200);
            var last = connection.send("GET " + healthyTarget() + " HTTP/1.0\r\n\r\n").read();
            assertEquals(200, last.status(), last::toString);
            assertCloses(connection, last);
        }
    }

    @Test
    @DisplayName("Connection: close from the client is honoured: the answer says close, and the server closes")
    void clientSaysClose() throws Exception {
        try (var connection = Http.Connection.open(port())) {
            assertKept(connection.send(get(healthyTarget())).read(), 200);
            var response = connection.send("GET " + healthyTarget()
                    + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").read();
            assertEquals(200, response.status(), response::toString);
            assertCloses(connection, response);
        }
    }

    @Test
    @DisplayName("a body the server does not read (a GET's; a POST's, refused with 405) closes a kept connection,"
            + " and the request after it is never answered")
    void unreadBodyCloses() throws Exception {
        for (var unread : unreadBodies().entrySet()) {
            var request = unread.getKey();
            try (var connection = Http.Connection.open(port())) {
                assertKept(connection.send(get(healthyTarget())).read(), 200);  // kept, until a body is left unread
                var response = connection.send(request + get(missingTarget())).read();
                assertEquals(unread.getValue(), response.status(), response::toString);
                assertCloses(connection, response);  // a second answer here would be the request after the body
            }
        }
    }

    @Test
    @DisplayName("on a kept connection, a malformed request gets 400, and the connection closes")
    void malformedAfterKept() throws Exception {
        try (var connection = Http.Connection.open(port())) {
            assertKept(connection.send(get(healthyTarget())).read(), 200);
            var response = connection.send("GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n" + get(healthyTarget())).read();
            assertEquals(400, response.status(), response::toString);
            assertErrorPage(response);
            assertCloses(connection, response);
        }
    }
}
