package workshop;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.*;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Step 08's promise that the JDK's server (--engine jdk) keeps the bounds ours keeps: it frames requests its own
 * way, so an error that leaves the framing in doubt must end the connection, a refused body must still get its
 * answer, what our parser refuses must be refused before an app runs, and its own deadlines must be set.
 */
@Tag("step08")
@DisplayName("step08 gateway, --engine jdk: the same bounds")
@Execution(ExecutionMode.CONCURRENT)
class Step08JdkTest {
    static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 [0-9]{3} ");

    /** The JDK's engine with short deadlines: 1 s for a head, 1 s for a body, so its request limit is 2 s. */
    @RegisterExtension
    static final StepServer jdk = StepServer.of(launch -> launch.args("--engine", "jdk", "--app", "hello")
            .jvm("-Dworkshop.headTimeoutMillis=1000", "-Dworkshop.bodyTimeoutMillis=1000"));

    /** What the server sent on one connection until it closed it (or `limit` passed), and how long that took. */
    record Answer(String text, Duration took, boolean closed) {
        int responses() {
            return (int) STATUS_LINE.matcher(text).results().count();
        }
    }

    static Answer send(String request, Duration limit) throws IOException {
        long start = System.nanoTime();
        try (var socket = Http.connect(jdk.port())) {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.setSoTimeout((int) limit.toMillis());
            var got = new ByteArrayOutputStream();
            boolean closed;
            try {
                socket.getInputStream().transferTo(got);
                closed = true;
            } catch (SocketTimeoutException e) {
                closed = false;
            } catch (IOException e) {
                closed = true;  // a reset ends it too
            }
            return new Answer(got.toString(StandardCharsets.ISO_8859_1), Duration.ofNanos(System.nanoTime() - start),
                    closed);
        }
    }

    @Test
    @DisplayName("a Content-Length it framed and we refuse (+5) gets 400 and the connection ends: nothing smuggled")
    void framingErrorCloses() throws IOException {
        var answer = send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello"
                + "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n", Duration.ofSeconds(5));
        assertTrue(answer.text().startsWith("HTTP/1.1 400 "), Show.brief(answer.text()));
        assertEquals(1, answer.responses(),
                "the bytes after the body are not a second request: " + Show.brief(answer.text()));
        assertTrue(answer.closed(), "the connection ends with the 400");
    }

    @Test
    @DisplayName("a body refused from its head (10 GiB announced, none sent) gets its 413 at once")
    void refusedBodyAnswered() throws IOException {
        var answer = send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10737418240\r\n\r\n", Duration.ofSeconds(5));
        assertTrue(answer.text().startsWith("HTTP/1.1 413 "), Show.brief(answer.text()));
        assertTrue(answer.text().contains("Connection: close") || answer.text().contains("Connection: Close"),
                Show.brief(answer.text()));
        assertTrue(answer.closed(), "the connection ends: the body will never be read");
    }

    @Test
    @DisplayName("no Host, two Hosts, a control character in a value: 400 before any app runs, as on our engine")
    void headChecks() throws IOException {
        for (var request : new String[] {"GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u0001c\r\n\r\n"}) {
            var answer = send(request, Duration.ofSeconds(5));
            assertTrue(answer.text().startsWith("HTTP/1.1 400 "),
                    Show.brief(request) + " got " + Show.brief(answer.text()));
            assertFalse(answer.text().contains("Hello world"), "the app did not run");
        }
    }

    @Test
    @DisplayName("a head that never ends is closed by the JDK's request deadline, not held")
    void slowHeadClosed() throws IOException {
        var answer = send("GET / HTTP/1.1\r\nHost: x\r\n", Duration.ofSeconds(15));
        assertTrue(answer.closed(), "still open after 15 s");
        assertTrue(answer.took().toSeconds() < 12, "closed only after " + answer.took().toMillis() + " ms");
    }
}
