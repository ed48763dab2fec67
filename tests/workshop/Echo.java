package workshop;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/** What steps 01 and 02 promise of an echo: the server's time in ctime format, then exactly the bytes sent. */
final class Echo {
    /** Python's ctime() in brackets and a space: "[Tue Nov  3 07:04:01 2026] ", always 27 ASCII bytes. */
    static final Pattern PREFIX = Pattern.compile("\\[(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug"
            + "|Sep|Oct|Nov|Dec) [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4}\\] ");
    static final int PREFIX_BYTES = 27;
    /** On loopback an echo takes microseconds: a server silent this long is not going to answer. */
    static final int REPLY_TIMEOUT_MILLIS = 2_000;

    private Echo() {}

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** An echo is the prefix, then exactly the bytes that were sent. */
    static void assertEcho(byte[] sent, byte[] echo) {
        assertTrue(echo.length >= PREFIX_BYTES,
                () -> "too short for an echo of " + Show.brief(sent) + ": " + Show.brief(echo));
        var prefix = new String(echo, 0, PREFIX_BYTES, StandardCharsets.ISO_8859_1);
        assertTrue(PREFIX.matcher(prefix).matches(), () -> "no [ctime] prefix: " + Show.brief(echo));
        var body = Arrays.copyOfRange(echo, PREFIX_BYTES, echo.length);
        assertTrue(Arrays.equals(sent, body), () -> "the echo differs from what was sent\n  sent: " + Show.brief(sent)
                + "\n  came back after the prefix: " + Show.brief(body)
                + "\n  first difference at byte " + Arrays.mismatch(sent, body));
    }

    static void assertEcho(String sent, byte[] echo) {
        assertEcho(bytes(sent), echo);
    }

    /** Client.java sends each line of its input, the last one without LF, and prints each echo. */
    static void assertClientEchoes(StepServer server) throws IOException {
        var launch = server.launch("Client.java").args("127.0.0.1", String.valueOf(server.port()));
        try (var client = launch.stdin("hello\n你好\nno LF at the end").start()) {
            assertEquals(0, client.awaitExit(Cli.EXIT_TIMEOUT), client::output);
            var lines = client.stdoutLines();
            assertEquals(3, lines.size(), client::output);
            var texts = List.of("hello", "你好", "no LF at the end");
            for (int i = 0; i < texts.size(); i++) assertEcho(texts.get(i), bytes(lines.get(i)));
        }
    }
}
