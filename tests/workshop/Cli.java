package workshop;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;

/** What every program's command line promises (WORKSHOP.md): --help, an Error line for a bad argument, a port taken. */
final class Cli {
    static final Duration EXIT_TIMEOUT = Duration.ofSeconds(20);  // a JVM start, or a compile via ./jbang, when slow

    private Cli() {}

    static void assertHelp(StepServer step, String program) throws IOException {
        try (var run = step.launch(program).args("--help").start()) {
            assertEquals(0, run.awaitExit(EXIT_TIMEOUT), run::output);
            assertTrue(run.stdout().startsWith("Usage: " + program), run::output);
            assertEquals("", run.stderr(), run::output);
        }
    }

    /** "Program.java arg ...": the last argument is the bad one, and the Error line names it. */
    static void assertUsageError(StepServer step, String command) throws IOException {
        var words = command.split(" ");
        try (var run = step.launch(words[0]).args(Arrays.copyOfRange(words, 1, words.length)).start()) {
            assertEquals(2, run.awaitExit(EXIT_TIMEOUT), run::output);
            var firstLine = run.stderr().lines().findFirst().orElse("");
            var bad = "'" + words[words.length - 1] + "'";
            assertTrue(firstLine.startsWith("Error: ") && firstLine.contains(bad), run::output);
            assertTrue(run.stderr().contains("Usage: " + words[0]), run::output);
            assertFalse(run.stderr().contains("Exception") || run.stderr().contains("\tat "), run::output);
            assertEquals("", run.stdout(), run::output);
        }
    }

    static void assertPortInUse(StepServer step, int taken) throws IOException {
        try (var run = step.launch("Server.java").args(String.valueOf(taken)).start()) {
            assertEquals(1, run.awaitExit(EXIT_TIMEOUT), run::output);
            var error = "Error: cannot listen on port " + taken + ": Address already in use";
            assertTrue(run.stderr().startsWith(error), run::output);
            assertEquals("", run.stdout(), run::output);
        }
    }
}
