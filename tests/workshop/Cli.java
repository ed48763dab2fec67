package workshop;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;

/** What every program's command line promises (WORKSHOP.md): --help, one Error line for a bad argument, a port in use. */
final class Cli {
    static final Duration EXIT_TIMEOUT = Duration.ofSeconds(20);  // a JVM start, or a compile through ./jbang, on a slow machine

    private Cli() {}

    static void assertHelp(String step, String program) throws IOException {
        try (var run = Step.launch(step, program).args("--help").start()) {
            assertEquals(0, run.awaitExit(EXIT_TIMEOUT), run.output());
            assertTrue(run.stdout().startsWith("Usage: " + program), run.output());
            assertEquals("", run.stderr(), run.output());
        }
    }

    /** "Program.java arg ...": the last argument is the bad one, and the Error line names it. */
    static void assertUsageError(String step, String command) throws IOException {
        var words = command.split(" ");
        try (var run = Step.launch(step, words[0]).args(Arrays.copyOfRange(words, 1, words.length)).start()) {
            assertEquals(2, run.awaitExit(EXIT_TIMEOUT), run.output());
            var firstLine = run.stderr().lines().findFirst().orElse("");
            assertTrue(firstLine.startsWith("Error: ") && firstLine.contains("'" + words[words.length - 1] + "'"), run.output());
            assertTrue(run.stderr().contains("Usage: " + words[0]), run.output());
            assertFalse(run.stderr().contains("Exception") || run.stderr().contains("\tat "), run.output());
            assertEquals("", run.stdout(), run.output());
        }
    }

    static void assertPortInUse(String step, int taken) throws IOException {
        try (var run = Step.launch(step, "Server.java").args(String.valueOf(taken)).start()) {
            assertEquals(1, run.awaitExit(EXIT_TIMEOUT), run.output());
            assertTrue(run.stderr().startsWith("Error: cannot listen on port " + taken + ": Address already in use"), run.output());
            assertEquals("", run.stdout(), run.output());
        }
    }
}
