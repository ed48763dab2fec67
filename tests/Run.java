///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+
//DEPS org.junit.jupiter:junit-jupiter:6.0.3
//DEPS org.junit.platform:junit-platform-launcher:6.0.3
//SOURCES workshop/*.java

// The workshop's test suite: every step checked over a real socket.
// Run all:      ./jbang tests/Run.java
// Run one step: ./jbang tests/Run.java step05     (or 05, or 5)
// Each step reads as its specification: its own tests in the order they are written, then the HTTP contract it
// shares with the other steps in one line, expanded where something failed. The last line counts them all.

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import org.junit.jupiter.api.DisplayName;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.LauncherConstants;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
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
            .configurationParameter("junit.jupiter.testmethod.order.default", "workshop.SourceOrder")  // as written
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

/**
 * A step's report reads as its specification: when a test class ends, its own tests in the order they are written
 * (a parameterized test as one line, its cases listed only where one failed), then one line for the tests it
 * inherits (HttpContract's "HTTP contract: 34 passed"), expanded only where one failed.
 */
static final class Report implements TestExecutionListener {
    record Outcome(TestExecutionResult.Status status, Throwable error, String reason, long millis) {
        boolean failed() {
            return status == TestExecutionResult.Status.FAILED;
        }

        boolean skipped() {
            return status == null || status == TestExecutionResult.Status.ABORTED;  // null: never started
        }
    }

    static final Outcome NONE = new Outcome(TestExecutionResult.Status.SUCCESSFUL, null, null, -1);  // did not run

    final AtomicInteger passed = new AtomicInteger(), failed = new AtomicInteger(), skipped = new AtomicInteger();
    final Map<String, Long> started = new ConcurrentHashMap<>();
    final Map<String, Outcome> outcomes = new ConcurrentHashMap<>();
    volatile TestPlan plan;

    @Override
    public void testPlanExecutionStarted(TestPlan plan) {
        this.plan = plan;
    }

    @Override
    public void executionStarted(TestIdentifier test) {
        started.put(test.getUniqueId(), System.nanoTime());
    }

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        skipped.incrementAndGet();
        outcomes.put(test.getUniqueId(), new Outcome(null, null, reason, 0));
        if (javaClass(test).isPresent()) print(test);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        var status = result.getStatus();
        if (test.isTest() && status == TestExecutionResult.Status.SUCCESSFUL) passed.incrementAndGet();
        else if (test.isTest() && status == TestExecutionResult.Status.ABORTED) skipped.incrementAndGet();
        else if (status != TestExecutionResult.Status.SUCCESSFUL) failed.incrementAndGet();  // or a class's set-up
        long millis = (System.nanoTime() - started.getOrDefault(test.getUniqueId(), System.nanoTime())) / 1_000_000;
        var error = result.getThrowable().orElse(null);
        var reason = error == null ? null : String.valueOf(error.getMessage()).replaceFirst("^Assumption failed: ", "");
        outcomes.put(test.getUniqueId(), new Outcome(status, error, reason, millis));
        if (javaClass(test).isPresent()) print(test);
        else if (test.getParentId().isEmpty() && status == TestExecutionResult.Status.FAILED)  // the engine itself
            print("FAIL " + test.getDisplayName() + "\n" + details(outcome(test), 5));
    }

    /** The block of one test class, printed whole, so that classes running at once do not mix their lines. */
    void print(TestIdentifier testClass) {
        var out = new StringBuilder(testClass.getDisplayName());
        var own = outcome(testClass);
        if (own.millis() > 0) out.append("  (%.1f s)".formatted(own.millis() / 1000.0));
        out.append('\n');
        if (own.status() == null) out.append("  skip (").append(own.reason()).append(")\n");
        if (own.failed()) out.append("  FAIL before or after its tests\n").append(details(own, 7));
        var inherited = new LinkedHashMap<Class<?>, List<TestIdentifier>>();  // by the class that declares them
        for (var test : plan.getChildren(testClass)) {
            var declaring = declaringClass(test).filter(c -> !c.equals(javaClass(testClass).orElseThrow()));
            if (declaring.isPresent()) inherited.computeIfAbsent(declaring.get(), k -> new ArrayList<>()).add(test);
            else line(test, out);
        }
        inherited.forEach((declaring, tests) -> summary(name(declaring), tests, out));
        boolean anyFailed = own.failed() || leaves(testClass).stream().anyMatch(test -> outcome(test).failed());
        var output = anyFailed ? workshop.Step.outputOf(javaClass(testClass).orElseThrow()) : "";
        if (!output.isBlank()) out.append("  what its servers printed (the last lines):\n").append(indent(output, 7));
        print(out.toString());
    }

    /** One line for a test; a parameterized one counts its cases, and lists those that failed. */
    void line(TestIdentifier test, StringBuilder out) {
        var outcome = outcome(test);
        if (outcome == NONE) return;  // never ran: its class failed first, and says so
        var cases = test.isTest() ? List.<TestIdentifier>of() : List.copyOf(plan.getChildren(test));
        var failedCases = cases.stream().filter(c -> outcome(c).failed()).toList();
        long skippedCases = cases.stream().filter(c -> outcome(c).skipped()).count();
        boolean allSkipped = outcome.skipped() || !cases.isEmpty() && skippedCases == cases.size();
        var mark = outcome.failed() || !failedCases.isEmpty() ? "FAIL" : allSkipped ? "skip" : "ok  ";
        out.append("  ").append(mark).append(' ').append(test.getDisplayName());
        if (!failedCases.isEmpty()) out.append(": %d of %d cases failed".formatted(failedCases.size(), cases.size()));
        else if (!cases.isEmpty()) out.append(" (").append(cases.size()).append(" cases")
                .append(skippedCases > 0 ? ", " + skippedCases + " skipped)" : ")");
        if (outcome.millis() >= 1000) out.append(" (%.1f s)".formatted(outcome.millis() / 1000.0));
        if (outcome.skipped() && outcome.reason() != null) out.append(" (").append(outcome.reason()).append(')');
        out.append('\n');
        if (outcome.failed() && failedCases.isEmpty()) out.append(details(outcome, 7));  // a test, or cases never made
        for (var failure : failedCases)
            out.append("       FAIL ").append(failure.getDisplayName()).append('\n')
                    .append(details(outcome(failure), 12));
    }

    /** "HTTP contract: 34 passed", then each of those that failed, with its reason. */
    void summary(String name, List<TestIdentifier> tests, StringBuilder out) {
        var leaves = tests.stream().flatMap(test -> leaves(test).stream())
                .filter(test -> outcome(test) != NONE).toList();
        if (leaves.isEmpty()) return;
        var failures = leaves.stream().filter(test -> outcome(test).failed()).toList();
        long skips = leaves.stream().filter(test -> outcome(test).skipped()).count();
        out.append("  ").append(name).append(": ").append(leaves.size() - failures.size() - skips).append(" passed");
        if (!failures.isEmpty()) out.append(", ").append(failures.size()).append(" failed");
        if (skips > 0) out.append(", ").append(skips).append(" skipped");
        out.append('\n');
        for (var failure : failures) {
            var group = plan.getParent(failure).filter(tests::contains).map(p -> p.getDisplayName() + ": ").orElse("");
            out.append("    FAIL ").append(group).append(failure.getDisplayName()).append('\n')
                    .append(details(outcome(failure), 9));
        }
    }

    /** The tests under a node, and any container that failed before it could run its tests. */
    List<TestIdentifier> leaves(TestIdentifier node) {
        if (node.isTest()) return List.of(node);
        var leaves = new ArrayList<TestIdentifier>();
        for (var child : plan.getChildren(node)) leaves.addAll(leaves(child));
        if (outcome(node).failed() && javaClass(node).isEmpty()) leaves.add(node);
        return leaves;
    }

    Outcome outcome(TestIdentifier test) {
        return outcomes.getOrDefault(test.getUniqueId(), NONE);
    }

    /** Why it failed: the message, cut short (it may hold a whole response), and where in the tests. */
    static String details(Outcome outcome, int indent) {
        var error = outcome.error();
        if (error == null) return "";
        var text = error instanceof AssertionError && error.getMessage() != null
                ? error.getMessage() : error.toString();
        text = text.replace(" ==> expected: <true> but was: <false>", "")  // an assertTrue's message says it all
                .replace(" ==> expected: <false> but was: <true>", "");
        var frames = Arrays.stream(error.getStackTrace())
                .filter(frame -> frame.getClassName().startsWith("workshop.")).toList();
        var where = frames.stream()
                .filter(frame -> frame.getClassName().matches("workshop\\.(Step\\d+Test|HttpContract).*"))
                .findFirst().or(() -> frames.stream().findFirst())  // the test's line, else the helper's
                .map(frame -> "(at " + frame.getFileName() + ":" + frame.getLineNumber() + ")").orElse("");
        return indent(workshop.Show.firstLines(text, 30) + where, indent);
    }

    static Optional<Class<?>> javaClass(TestIdentifier test) {
        return test.getSource().filter(ClassSource.class::isInstance)
                .map(source -> ((ClassSource) source).getJavaClass());
    }

    static Optional<Class<?>> declaringClass(TestIdentifier test) {
        return test.getSource().filter(MethodSource.class::isInstance)
                .map(source -> ((MethodSource) source).getJavaMethod().getDeclaringClass());
    }

    /** A class's @DisplayName ("HTTP contract"), or its name. */
    static String name(Class<?> type) {
        var displayName = type.getAnnotation(DisplayName.class);
        return displayName != null ? displayName.value() : type.getSimpleName();
    }

    static String indent(String text, int spaces) {
        return text.strip().lines().map(line -> " ".repeat(spaces) + line).collect(Collectors.joining("\n", "", "\n"));
    }

    static void print(String text) {
        synchronized (System.out) {
            IO.print(text);
        }
    }
}
