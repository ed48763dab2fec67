package workshop;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Tag;

/**
 * One program of a step (Server.java, Client.java) running as a real process.
 * Start it with {@link #launch}; read its port from its banner with {@link #port()}; it is always
 * stopped by {@link #close()}, which kills the process and its children.
 */
public final class Step implements AutoCloseable {
    static final Duration START_TIMEOUT = Duration.ofSeconds(60);  // through ./jbang a cold start compiles first
    static final Pattern BANNER_PORT = Pattern.compile(" port (\\d+)");
    static final Map<String, Future<Path>> COMPILED = new ConcurrentHashMap<>();
    static final Path CLASSES = classesFolder();  // one folder per test run, removed when the run ends
    static final Map<Class<?>, List<Step>> STARTED_BY = new ConcurrentHashMap<>();
    static final Set<Step> RUNNING = runningUntilExit();  // what no close() stopped is stopped when the tests end

    final String name;
    final Process process;
    final List<String> stdout = new ArrayList<>();  // guarded by itself
    final StringBuffer stderr = new StringBuffer();

    /** What to run, and how. Build one with {@link #launch}, adjust it, then {@link #start()}. */
    public record Launch(String step, String program, List<String> args, List<String> jvmOptions,
                         Path directory, boolean throughJbang, String stdin, int fileLimit) {
        public Launch args(String... more) {
            return new Launch(step, program, concat(args, more), jvmOptions, directory, throughJbang, stdin, fileLimit);
        }

        /** Options for the step's JVM, e.g. "-Dworkshop.headTimeoutMillis=500" to shorten a deadline. */
        public Launch jvm(String... more) {
            return new Launch(step, program, args, concat(jvmOptions, more), directory, throughJbang, stdin, fileLimit);
        }

        public Launch in(Path dir) {
            return new Launch(step, program, args, jvmOptions, dir, throughJbang, stdin, fileLimit);
        }

        /** Exactly as the README says: ./jbang stepNN-.../Server.java ARGS, from the repository root. */
        public Launch viaJbang() {
            return new Launch(step, program, args, jvmOptions, directory, true, stdin, fileLimit);
        }

        /** Text for the program's standard input, which is then closed (null: closed at once). */
        public Launch stdin(String text) {
            return new Launch(step, program, args, jvmOptions, directory, throughJbang, text, fileLimit);
        }

        /** At most this many open files (Unix: ulimit -n), so that a test can run the step out of them. */
        public Launch fileLimit(int limit) {
            return new Launch(step, program, args, jvmOptions, directory, throughJbang, stdin, limit);
        }

        public Step start() throws IOException {
            return new Step(this);
        }

        static List<String> concat(List<String> list, String[] more) {
            var all = new ArrayList<>(list);
            all.addAll(List.of(more));
            return List.copyOf(all);
        }
    }

    /** A program of a step folder, e.g. launch("step04-forever-threaded", "Server.java").args("0"). */
    public static Launch launch(String step, String program) {
        return new Launch(step, program, List.of(), List.of(), root(), false, null, 0);
    }

    /** The folder of the step a test class is tagged with: @Tag("step04") is step04-forever-threaded. */
    public static String folder(Class<?> testClass) {
        var tag = testClass.getAnnotation(Tag.class);
        if (tag == null || !tag.value().matches("step[0-9]{2}"))
            throw new IllegalStateException(testClass + " has no @Tag(\"stepNN\")");
        try (var folders = Files.list(root())) {
            return folders.map(folder -> folder.getFileName().toString())
                    .filter(name -> name.startsWith(tag.value() + "-"))
                    .sorted().findFirst()
                    .orElseThrow(() -> new IllegalStateException("no folder " + tag.value() + "-* in " + root()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The repository's root: the folder holding tests/Run.java, found from the working directory up. */
    public static Path root() {
        for (var dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent())
            if (Files.exists(dir.resolve("tests/Run.java")) && Files.exists(dir.resolve("jbang"))) return dir;
        throw new IllegalStateException("run the tests from the workshop's folder: no tests/Run.java above "
                + Path.of("").toAbsolutePath());
    }

    private Step(Launch launch) throws IOException {
        name = launch.step() + "/" + launch.program();
        var command = new ArrayList<String>();
        if (launch.throughJbang()) {
            if (!launch.jvmOptions().isEmpty())
                throw new IllegalArgumentException("a run through ./jbang takes no JVM options");
            command.add(root().resolve(isWindows() ? "jbang.cmd" : "jbang").toString());
            command.add(launch.step() + "/" + launch.program());
        } else {
            command.add(ProcessHandle.current().info().command().orElse("java"));  // the JDK 25 running the tests
            command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));  // quicker start-up for short runs
            command.addAll(launch.jvmOptions());
            command.addAll(List.of("-cp", compiled(launch.step(), launch.program()).toString()));
            command.add(launch.program().replaceFirst("\\.java$", ""));
        }
        command.addAll(launch.args());
        if (launch.fileLimit() > 0)  // soft and hard limit both: the JVM raises its soft limit to the hard one
            command.addAll(0, List.of("bash", "-c", "ulimit -n " + launch.fileLimit() + " && exec \"$@\"", "bash"));
        var builder = new ProcessBuilder(command).directory(launch.directory().toFile());
        builder.environment().remove("JAVA_TOOL_OPTIONS");  // its "Picked up ..." line would pollute stderr
        process = builder.start();
        RUNNING.add(this);
        Thread.ofVirtual().start(() -> collect(process.getInputStream(), line -> {
            synchronized (stdout) {
                stdout.add(line);
                stdout.notifyAll();
            }
        }));
        Thread.ofVirtual().start(() -> collect(process.getErrorStream(), line -> stderr.append(line).append('\n')));
        try (var in = process.getOutputStream()) {
            if (launch.stdin() != null) in.write(launch.stdin().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // the program may exit before reading its input; its exit code and output tell the story
        }
    }

    /** The port from the banner (the first line naming " port N"), waiting for it to appear. */
    public int port() {
        var banner = awaitLine(line -> BANNER_PORT.matcher(line).find(), START_TIMEOUT);
        var matcher = BANNER_PORT.matcher(banner);
        matcher.find();
        return Integer.parseInt(matcher.group(1));
    }

    /** Waits for a line on stdout that matches; fails with the output so far if none comes in time. */
    public String awaitLine(Predicate<String> wanted, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (stdout) {
            while (true) {
                for (var line : stdout) if (wanted.test(line)) return line;
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0 || !process.isAlive() && stdoutClosed) {
                    throw new AssertionError("no such line from " + name + " within " + timeout.toSeconds() + " s\n"
                            + output());
                }
                try {
                    stdout.wait(Math.min(left, 100));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                }
            }
        }
    }

    /** Waits for text on stderr (a failure's log line, say); fails with the output so far if none comes in time. */
    public void awaitStderr(String text, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!stderr.toString().contains(text)) {
            if (System.nanoTime() > deadline)
                throw new AssertionError("no '" + text + "' on stderr of " + name + " within " + timeout.toSeconds()
                        + " s\n" + output());
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    /** Waits for the process to end by itself and returns its exit code; fails (and kills it) if it doesn't. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                close();
                throw new AssertionError(name + " did not exit within " + timeout.toSeconds() + " s\n" + output());
            }
            readersDone.await(5, TimeUnit.SECONDS);
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    public List<String> stdoutLines() {
        synchronized (stdout) {
            return List.copyOf(stdout);
        }
    }

    public String stdout() {
        return String.join("\n", stdoutLines()) + (stdoutLines().isEmpty() ? "" : "\n");
    }

    public String stderr() {
        return stderr.toString();
    }

    /** For failure messages: the end of stdout and of stderr, each line cut short (a bug may print megabytes). */
    public String output() {
        return output(40);
    }

    String output(int lastLines) {
        return "--- stdout of " + name + "\n" + Show.lastLines(stdout(), lastLines)
                + "--- stderr of " + name + "\n" + Show.lastLines(stderr(), lastLines);
    }

    public Process process() {
        return process;
    }

    /**
     * Stops the program and its children: first politely (like Ctrl+C), then by force. The children are listed
     * before anything is stopped: once their parent is gone they are nobody's descendants, and would run on.
     */
    @Override
    public void close() {
        RUNNING.remove(this);
        var children = process.descendants().toList();
        children.forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            for (var child : children) {
                try {
                    child.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (TimeoutException | ExecutionException e) {
                    child.destroyForcibly();  // it ignored the polite request
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Makes this program's output part of a test class's failure report (its servers'; a test shows its own). */
    void reportWith(Class<?> testClass) {
        STARTED_BY.computeIfAbsent(testClass, k -> new CopyOnWriteArrayList<>()).add(this);
    }

    /** What the servers of a test class have printed, for its failure report. */
    public static String outputOf(Class<?> testClass) {
        var output = new StringBuilder();
        for (var step : STARTED_BY.getOrDefault(testClass, List.of())) output.append(step.output(15));
        return output.toString();
    }

    private volatile boolean stdoutClosed;
    private final CountDownLatch readersDone = new CountDownLatch(2);

    private void collect(InputStream stream, java.util.function.Consumer<String> sink) {
        try (var reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) sink.accept(line);
        } catch (IOException e) {
            // the process is gone
        } finally {
            if (stream == process.getInputStream()) stdoutClosed = true;
            readersDone.countDown();
            synchronized (stdout) {
                stdout.notifyAll();
            }
        }
    }

    /** Compiles a step's program once per test run, so each start is a plain JVM start (javac is the slow part). */
    static Path compiled(String step, String program) throws IOException {
        var future = COMPILED.computeIfAbsent(step + "/" + program, key -> {
            var task = new FutureTask<>(() -> compile(step, program));
            task.run();
            return task;
        });
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    static Path compile(String step, String program) throws IOException {
        var source = root().resolve(step).resolve(program);
        if (!Files.exists(source)) throw new FileNotFoundException(source + " does not exist");
        var classes = Files.createDirectories(CLASSES.resolve(step).resolve(program));
        var arguments = new ArrayList<>(List.of("-d", classes.toString(), "-proc:none", "-nowarn", source.toString()));
        arguments.addAll(sources(source));
        var errors = new ByteArrayOutputStream();
        var ok = ToolProvider.getSystemJavaCompiler().run(null, null, errors, arguments.toArray(String[]::new));
        if (ok != 0) throw new IllegalStateException("javac failed on " + source + ":\n" + errors);
        return classes;
    }

    /** The other files a program is made of: what its //SOURCES lines name, as JBang reads them. */
    static List<String> sources(Path program) throws IOException {
        var files = new ArrayList<String>();
        for (var line : Files.readAllLines(program)) {
            if (!line.startsWith("//SOURCES ")) continue;
            for (var name : line.substring("//SOURCES ".length()).trim().split("\\s+"))
                files.add(program.resolveSibling(name).toString());
        }
        return files;
    }

    static Set<Step> runningUntilExit() {
        var running = ConcurrentHashMap.<Step>newKeySet();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> running.forEach(step -> {
            step.process.descendants().forEach(ProcessHandle::destroyForcibly);
            step.process.destroyForcibly();
        })));
        return running;
    }

    static Path classesFolder() {
        try {
            var folder = Files.createTempDirectory("workshop-classes-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (var paths = Files.walk(folder)) {
                    paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                } catch (IOException e) {
                    // a leftover folder in the temp dir is no failure of the tests
                }
            }));
            return folder;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean isWindows() {
        return System.getProperty("os.name").startsWith("Windows");
    }
}
