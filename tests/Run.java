///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+
//DEPS org.junit.jupiter:junit-jupiter:6.0.3
//DEPS org.junit.platform:junit-platform-launcher:6.0.3
//SOURCES workshop/*.java

// The workshop's test suite: every step checked over a real socket.
// Run all:      ./jbang tests/Run.java
// Run one step: ./jbang tests/Run.java step05     (or 05, or 5)

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.LauncherConstants;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

static final String USAGE = "Usage: ./jbang tests/Run.java [stepNN ...]   (no argument: every step)";

void main(String[] args) {
    var tags = new ArrayList<String>();
    for (var arg : args) {
        if (arg.equals("-h") || arg.equals("--help")) {
            IO.println(USAGE);
            return;
        }
        var number = arg.replaceFirst("^step", "").replaceFirst("-.*$", "");
        if (!number.matches("[0-9]{1,2}")) {
            System.err.println("Error: '" + arg + "' names no step\n" + USAGE);
            System.exit(2);
        }
        tags.add("step%02d".formatted(Integer.parseInt(number)));
    }
    var request = LauncherDiscoveryRequestBuilder.request()
            .selectors(selectPackage("workshop"))
            .configurationParameter("junit.jupiter.execution.parallel.enabled", "true")
            .configurationParameter("junit.jupiter.execution.parallel.mode.default", "same_thread")
            .configurationParameter("junit.jupiter.execution.parallel.mode.classes.default", "concurrent")
            .configurationParameter("junit.jupiter.execution.parallel.config.strategy", "fixed")
            .configurationParameter("junit.jupiter.execution.parallel.config.fixed.parallelism", "3")
            .configurationParameter(LauncherConstants.STACKTRACE_PRUNING_ENABLED_PROPERTY_NAME, "true");
    if (!tags.isEmpty()) request.filters(TagFilter.includeTags(tags));
    var report = new Report();
    LauncherFactory.create().execute(request.build(), report);
    IO.println("%d passed, %d failed%s".formatted(report.passed.get(), report.failed.get(),
            report.skipped.get() > 0 ? ", " + report.skipped.get() + " skipped" : ""));
    if (report.passed.get() + report.failed.get() == 0) {
        System.err.println("Error: no test matched " + String.join(" ", args));
        System.exit(1);
    }
    System.exit(report.failed.get() == 0 ? 0 : 1);
}

/** One line per test as it finishes; a failure also shows why, and what the step's process printed. */
static final class Report implements TestExecutionListener {
    final AtomicInteger passed = new AtomicInteger(), failed = new AtomicInteger(), skipped = new AtomicInteger();
    final Map<String, Long> started = new ConcurrentHashMap<>();

    @Override
    public void executionStarted(TestIdentifier test) {
        started.put(test.getUniqueId(), System.nanoTime());
    }

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        skipped.incrementAndGet();
        print("skip", test, " (" + reason + ")");
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        var error = result.getThrowable().orElse(null);
        if (test.isTest() && result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
            passed.incrementAndGet();
            print("ok  ", test, "");
        } else if (test.isTest() && result.getStatus() == TestExecutionResult.Status.ABORTED) {
            skipped.incrementAndGet();
            print("skip", test, error == null ? "" : " (" + error.getMessage() + ")");
        } else if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
            failed.incrementAndGet();  // a failing test, or a class whose set-up failed
            var details = new StringBuilder();
            if (error != null) details.append(indent(error.toString()));
            testClass(test).map(workshop.Step::outputOf).filter(s -> !s.isBlank())
                    .ifPresent(output -> details.append("\n      what the step printed:\n").append(indent(output)));
            print("FAIL", test, "\n" + details);
        }
    }

    void print(String mark, TestIdentifier test, String rest) {
        long millis = (System.nanoTime() - started.getOrDefault(test.getUniqueId(), System.nanoTime())) / 1_000_000;
        var name = testClass(test).map(c -> c.getSimpleName() + " > ").orElse("") + test.getDisplayName();
        synchronized (System.out) {
            IO.println("%s %s (%.1f s)%s".formatted(mark, name, millis / 1000.0, rest));
        }
    }

    static Optional<Class<?>> testClass(TestIdentifier test) {
        return test.getSource().map(source -> switch (source) {
            case MethodSource method -> method.getJavaClass();
            case ClassSource type -> type.getJavaClass();
            default -> null;
        });
    }

    static String indent(String text) {
        return text.strip().lines().map(line -> "        " + line).collect(Collectors.joining("\n"));
    }
}
