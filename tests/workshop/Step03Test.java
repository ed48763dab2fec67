package workshop;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

@Tag("step03")
@DisplayName("step03 hello-http")
@Execution(ExecutionMode.CONCURRENT)  // every test starts its own one-shot server
class Step03Test extends HttpContract {
    static final String STEP = "step03-hello-http";

    @Override
    protected Step server() throws IOException {
        return Step.launch(STEP, "Server.java").args("0").jvm(FAST_DEADLINE).start();
    }

    @Override
    protected boolean oneShot() {
        return true;
    }

    @Test
    @DisplayName("answers one request with Hello World, byte for byte, then exits 0 (through ./jbang, as the README says)")
    void helloWorldThroughJbang() throws Exception {
        try (var server = Step.launch(STEP, "Server.java").args("0").viaJbang().start()) {
            var response = Http.get(server.port(), "/");
            assertEquals("HTTP/1.1 200 OK", response.statusLine());
            assertEquals("<h1>Hello World</h1>", response.text());
            assertEquals("text/html; charset=utf-8", response.header("content-type"));
            assertEquals("20", response.header("CONTENT-LENGTH"));
            HttpContract.assertWellFramed(response);
            assertTrue(response.header("Date").matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT"),
                    "Date is an IMF-fixdate: " + response.header("Date"));
            assertEquals(0, server.awaitExit(Duration.ofSeconds(10)), server::output);
        }
    }

    @Test
    @DisplayName("prints the request it parsed, then one log line")
    void printsTheRequest() throws Exception {
        withServer(server -> {
            Http.exchange(server.port(), "GET /hello?x=1 HTTP/1.1\r\nHost: example\r\nX-Workshop: yes\r\n\r\n");
            server.awaitExit(Duration.ofSeconds(10));
            var out = server.stdout();
            assertTrue(out.contains("method=GET") && out.contains("target=/hello?x=1") && out.contains("X-Workshop=[yes]"), out);
            assertTrue(server.stdoutLines().getLast().contains("\"GET /hello?x=1 HTTP/1.1\" 200 20"), out);
        });
    }

    @Test
    @DisplayName("a client that connects and closes without a word is not answered, and the server exits 0")
    void emptyConnection() throws Exception {
        withServer(server -> Http.connect(server.port()).close());
    }
}
