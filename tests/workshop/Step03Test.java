package workshop;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

@Tag("step03")
@DisplayName("step03 hello-http")
@Execution(ExecutionMode.CONCURRENT)  // every test starts its own one-shot server
class Step03Test extends HttpContract {
    /** It answers one request and exits: every check gets a process of its own. */
    @RegisterExtension
    static final StepServer server = StepServer.of(launch -> launch.jvm(FAST_DEADLINE)).oneShot().forContract();

    @Test
    @DisplayName("answers one request with Hello World, byte for byte, then exits 0"
            + " (through ./jbang, as the README says)")
    void helloWorldThroughJbang() throws Exception {
        try (var viaJbang = server.launch("Server.java").args("0").viaJbang().start()) {
            var response = Http.get(viaJbang.port(), "/");
            assertEquals("HTTP/1.1 200 OK", response.statusLine());
            assertEquals("<h1>Hello World</h1>", response.text());
            assertEquals("text/html; charset=utf-8", response.header("content-type"));
            assertEquals("20", response.header("CONTENT-LENGTH"));
            HttpContract.assertWellFramed(response);
            var imfFixdate = "[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT";
            assertTrue(response.header("Date").matches(imfFixdate),
                    "Date is an IMF-fixdate: " + response.header("Date"));
            assertEquals(0, viaJbang.awaitExit(Duration.ofSeconds(10)), viaJbang::output);
        }
    }

    @Test
    @DisplayName("prints the request it parsed, then one log line")
    void printsTheRequest() throws Exception {
        withServer(step -> {
            Http.exchange(step.port(), "GET /hello?x=1 HTTP/1.1\r\nHost: example\r\nX-Workshop: yes\r\n\r\n");
            step.awaitExit(Duration.ofSeconds(10));
            var out = step.stdout();
            assertTrue(out.contains("method=GET") && out.contains("target=/hello?x=1")
                    && out.contains("X-Workshop=[yes]"), step::output);
            // The log line follows the request; more lines may come between (exercise 4 prints how long the head took).
            var log = "\"GET /hello?x=1 HTTP/1.1\" 200 20";
            assertEquals(1, step.stdoutLines().stream().filter(line -> line.contains(log)).count(), step::output);
            assertTrue(out.indexOf(log) > out.indexOf("X-Workshop=[yes]"), step::output);
        });
    }

    @Test
    @DisplayName("a client that connects and closes without a word is not answered, and the server exits 0")
    void emptyConnection() throws Exception {
        withServer(step -> Http.connect(step.port()).close());
    }
}
