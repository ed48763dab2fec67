///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 25+

// Checks that the lessons' commands still print what the lessons show. For each HTTP step (03 on) it reads the
// step's README.md, runs the commands of the blocks marked for checking against the real step on a free port,
// and compares what they print with what the lesson shows. One line per command ("ok" or "FAIL", the lesson's line,
// the command), then "N passed, N failed"; exit 1 if one failed (or none ran), 2 for a bad argument.
// Run: ./jbang tests/Lessons.java [STEP ...]   (from the repository's root; step04, 04 or 4; default every step)
// Needs bash, and the tools the commands use (curl 7.67 or newer, nc). Written for Linux and macOS, tried on Linux;
// not for Windows: the commands are the lessons' Unix ones. Not part of tests/Run.java.
//
// How a lesson marks a block (the mark is an HTML comment: the rendered lesson does not show it):
//
//   <!-- check -->            on the line before an indented (4 spaces) or fenced code block. In the block, each
//       $ curl -i http://127.0.0.1:8000/       line that starts with "$ " is a command (a line ending in "\"
//       HTTP/1.1 200 OK                        goes on with the next); the lines below it, up to the next
//       ...                                    command or the block's end, are what it must print, whole.
//                              A line that is "..." alone stands for any number of lines.
//   <!-- check fresh -->       each command of the block gets a server of its own (step 03 answers one request
//                              and exits); otherwise the commands of a step share one server, started when needed.
//   <!-- check log -->         the block holds no commands but lines the server printed while it answered the
//                              command before: they must appear in this order (other lines between them are fine).
//   <!-- check server: ARGS --> the server is started with these arguments after its port ("-d /tmp/www", "--app
//                              hello"); they hold until a block names others ("server:" alone: none). May follow
//                              fresh: "<!-- check fresh server: ... -->".
//
// Each command runs in bash, from the repository's root, its input empty, its output and errors together, for
// 40 s at most. In the command, 127.0.0.1:8000 and "127.0.0.1 8000" (and localhost) name the real port. Before
// comparing, both sides lose what differs between runs: dates (HTTP's and the log's) become <date>, a port after
// "127.0.0.1:", "localhost:" or "port " becomes <port>, curl/x.y.z becomes curl/<version>, "0.002207 s" becomes
// "<time> s", trailing spaces and CRs go. Lines that are curl's and vary with its version are dropped: "* ..."
// (what curl -v says it does) and "{ [329 bytes data]"; so are bash's "user" and "sys" lines after "time", and
// its "real 0m3.019s" matches within a second. curl's progress meter is off (it shows only when output is not a
// terminal), so what the checker sees is what a learner sees in a terminal.

static final Pattern MARK = Pattern.compile("<!--\\s*check\\b(.*?)-->\\s*");
static final Pattern STEP_FOLDER = Pattern.compile("step(\\d\\d)-.*");
static final int FIRST_STEP = 3;                         // steps 01 and 02 are not HTTP: their lessons use clients
static final String LESSON_PORT = "8000";
static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(40);
static final Duration START_TIMEOUT = Duration.ofSeconds(90);   // a first run compiles the step
static final Duration LOG_WAIT = Duration.ofSeconds(3);         // the access-log line follows the response
static final Pattern BANNER_PORT = Pattern.compile(" port (\\d+)");
static final Pattern REAL_TIME = Pattern.compile("real\\s+(\\d+)m([0-9.]+)s");
static final Pattern CURL_VERBOSE = Pattern.compile("\\bcurl\\b.*(\\s-[A-Za-z]*v[A-Za-z]*\\b|\\s--verbose\\b)");
static final List<Map.Entry<Pattern, String>> VARYING = List.of(
        Map.entry(Pattern.compile("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT"), "<date>"),
        Map.entry(Pattern.compile("\\[\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}]"), "[<date>]"),
        Map.entry(Pattern.compile("(127\\.0\\.0\\.1|localhost):\\d+"), "$1:<port>"),
        Map.entry(Pattern.compile("\\bport \\d+"), "port <port>"),
        Map.entry(Pattern.compile("curl/\\d[\\w.-]*"), "curl/<version>"),
        Map.entry(Pattern.compile("\\b\\d+\\.\\d+ (m?s)\\b"), "<time> $1"));
static final Pattern DROPPED = Pattern.compile("[{}] \\[\\d+ bytes data]|(user|sys)\\s+\\d+m[0-9.]+s");
static final String USAGE = "Usage: ./jbang tests/Lessons.java [STEP ...]   (step04, 04 or 4; default every step"
        + " from 03 on)";

/** How a block is checked: its mark's options. */
record Mark(boolean fresh, boolean log, List<String> serverArgs) {}

/** One command of a lesson and what it must print; for a log block, command is null and lines are the log's. */
record Check(Path lesson, int line, Mark mark, String command, List<String> expected) {}

/** A step's server, its output going to a file; once: it answers one command (then may exit by itself). */
record Server(Process process, Path output, int port, List<String> args, boolean once) {
    String printed() throws IOException {
        return Files.readString(output(), StandardCharsets.UTF_8);
    }
}

void main(String[] args) throws Exception {
    var steps = parseSteps(args);
    var curlHome = Files.createTempDirectory("lessons-curl");  // a .curlrc of our own: no progress meter
    Files.writeString(curlHome.resolve(".curlrc"), "--no-progress-meter\n");
    int passed = 0, failed = 0;
    try {
        for (var step : steps) {
            var checks = readChecks(step.resolve("README.md"));
            IO.println(step.getFileName() + (checks.isEmpty() ? ": nothing marked for checking" : ""));
            Server shared = null, last = null;  // last: the server of the command before, for a log block
            try {
                for (var check : checks) {
                    boolean ok;
                    if (check.command() == null) {
                        ok = checkLog(check, last);
                    } else {
                        if (last != null && last != shared) stop(last);
                        if (check.mark().fresh()) {
                            last = start(step, check.mark().serverArgs(), true);
                        } else {
                            if (shared == null || !shared.args().equals(check.mark().serverArgs())) {
                                stop(shared);
                                shared = start(step, check.mark().serverArgs(), false);
                            }
                            last = shared;
                        }
                        ok = checkCommand(check, last, curlHome);
                    }
                    if (ok) passed++;
                    else failed++;
                }
            } finally {
                if (last != shared) stop(last);
                stop(shared);
            }
        }
    } finally {
        Files.deleteIfExists(curlHome.resolve(".curlrc"));
        Files.deleteIfExists(curlHome);
    }
    IO.println("%d passed, %d failed".formatted(passed, failed));
    System.exit(failed == 0 && passed > 0 ? 0 : 1);
}

/** The marked blocks of a lesson, as checks: one per command, one per log block. */
static List<Check> readChecks(Path lesson) throws IOException {
    var lines = Files.readAllLines(lesson, StandardCharsets.UTF_8);
    var checks = new ArrayList<Check>();
    List<String> serverArgs = List.of();
    for (int i = 0; i < lines.size(); i++) {
        var found = MARK.matcher(lines.get(i).strip());
        if (!found.matches()) continue;
        var options = found.group(1).strip();
        int server = options.indexOf("server:");
        if (server >= 0) {
            var given = options.substring(server + "server:".length()).strip();
            serverArgs = given.isEmpty() ? List.of() : List.of(given.split("\\s+"));
            options = options.substring(0, server);
        }
        var words = List.of(options.strip().split("\\s+"));
        var unknown = words.stream().filter(w -> !w.isEmpty() && !w.equals("fresh") && !w.equals("log")).toList();
        if (!unknown.isEmpty()) throw new IllegalArgumentException(where(lesson, i) + ": unknown option " + unknown);
        var mark = new Mark(words.contains("fresh"), words.contains("log"), serverArgs);
        int start = i + 1;
        while (start < lines.size() && lines.get(start).isBlank()) start++;
        var block = new ArrayList<String>();
        int end = start;
        if (start < lines.size() && lines.get(start).startsWith("```")) {
            for (end = start + 1; end < lines.size() && !lines.get(end).startsWith("```"); end++)
                block.add(lines.get(end));
            end++;  // past the closing fence
        } else {
            for (; end < lines.size() && (lines.get(end).startsWith("    ") || lines.get(end).isBlank()); end++)
                block.add(lines.get(end).isBlank() ? "" : lines.get(end).substring(4));
        }
        while (!block.isEmpty() && block.getLast().isEmpty()) block.removeLast();
        if (block.isEmpty()) throw new IllegalArgumentException(where(lesson, i) + ": a check mark without a block");
        if (mark.log()) checks.add(new Check(lesson, start + 1, mark, null, block));
        else checks.addAll(commands(lesson, start, mark, block));
        i = end - 1;
    }
    return checks;
}

/** Splits a block into its "$ " commands, each with the lines it must print. */
static List<Check> commands(Path lesson, int firstLine, Mark mark, List<String> block) {
    var checks = new ArrayList<Check>();
    for (int i = 0; i < block.size(); ) {
        if (!block.get(i).startsWith("$ "))
            throw new IllegalArgumentException(where(lesson, firstLine + i) + ": expected a line starting with '$ '");
        int line = firstLine + i + 1;
        var command = new StringBuilder(block.get(i).substring(2));
        while (command.toString().endsWith("\\") && ++i < block.size())
            command.append('\n').append(block.get(i));  // bash reads "\\" and a line end as one line
        var expected = new ArrayList<String>();
        for (i++; i < block.size() && !block.get(i).startsWith("$ "); i++) expected.add(block.get(i));
        while (!expected.isEmpty() && expected.getLast().isEmpty()) expected.removeLast();
        checks.add(new Check(lesson, line, mark, command.toString(), expected));
    }
    return checks;
}

static boolean checkCommand(Check check, Server server, Path curlHome) throws Exception {
    var command = check.command()
            .replaceAll("(127\\.0\\.0\\.1|localhost)([: ])" + LESSON_PORT + "\\b", "$1$2" + server.port());
    long start = System.nanoTime();
    var builder = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    builder.environment().put("CURL_HOME", curlHome.toString());
    builder.environment().remove("TIMEFORMAT");
    var process = builder.start();
    var output = new CompletableFuture<String>();
    Thread.ofVirtual().start(() -> {
        try {
            output.complete(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            output.complete("(reading its output failed: " + e.getMessage() + ")");
        }
    });
    boolean finished = process.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    if (!finished) kill(process.toHandle());
    var actual = output.get(5, TimeUnit.SECONDS);
    double seconds = (System.nanoTime() - start) / 1e9;
    boolean verbose = CURL_VERBOSE.matcher(command).find();
    var want = comparable(check.expected(), verbose);
    var got = comparable(actual.lines().toList(), verbose);
    boolean ok = finished && matches(want, 0, got, 0);
    var firstLine = check.command().lines().findFirst().orElse("");
    report(ok, check, "$ " + firstLine + (seconds >= 1 ? " (%.1f s)".formatted(seconds) : ""));
    if (!ok) {
        if (!finished) IO.println("       still running after " + COMMAND_TIMEOUT.toSeconds() + " s: stopped");
        explain(check.expected(), actual);
    }
    return ok;
}

/** A log block: its lines appear, in order, in what the server of the command before printed. */
static boolean checkLog(Check check, Server server) throws Exception {
    var want = comparable(check.expected(), false).stream().filter(line -> !line.equals("...")).toList();
    String log = "";
    boolean ok = false;
    for (long end = System.nanoTime() + LOG_WAIT.toNanos(); server != null && !ok && System.nanoTime() < end; ) {
        log = server.printed();
        ok = inOrder(want, comparable(log.lines().toList(), false));
        if (!ok) Thread.sleep(100);
    }
    report(ok, check, "the server printed: " + check.expected().getFirst()
            + (want.size() > 1 ? " (and %d more lines)".formatted(want.size() - 1) : ""));
    if (!ok) explain(check.expected(), server == null ? "(no command ran before this log block)" : log);
    return ok;
}

static void report(boolean ok, Check check, String what) {
    IO.println("  %s %s:%d %s".formatted(ok ? "ok  " : "FAIL", check.lesson().getFileName(), check.line(), what));
}

/** The expected lines and what the command printed, capped: enough to see where they part. */
static void explain(List<String> expected, String actual) {
    IO.println("       the lesson shows:");
    expected.stream().limit(25).forEach(line -> IO.println("         | " + line));
    IO.println("       it printed:");
    actual.lines().limit(25).forEach(line -> IO.println("         | " + (line.length() > 200
            ? line.substring(0, 200) + "... (" + line.length() + " characters)" : line)));
}

/** Lines as compared: what varies between runs replaced, what varies between curl versions dropped. */
static List<String> comparable(List<String> lines, boolean curlVerbose) {
    var result = new ArrayList<String>();
    for (var line : lines) {
        line = line.replaceAll("[\\s\\r]+$", "");
        if (DROPPED.matcher(line).matches() || curlVerbose && (line.startsWith("* ") || line.equals("*"))) continue;
        for (var varying : VARYING) line = varying.getKey().matcher(line).replaceAll(varying.getValue());
        result.add(line);
    }
    while (!result.isEmpty() && result.getLast().isEmpty()) result.removeLast();
    return result;
}

/** Whether the lines match whole, "..." standing for any number of lines. */
static boolean matches(List<String> expected, int i, List<String> actual, int j) {
    if (i == expected.size()) return j == actual.size();
    if (expected.get(i).equals("...")) {
        for (int k = j; k <= actual.size(); k++) if (matches(expected, i + 1, actual, k)) return true;
        return false;
    }
    return j < actual.size() && same(expected.get(i), actual.get(j)) && matches(expected, i + 1, actual, j + 1);
}

/** Whether the expected lines appear in this order among the actual ones. */
static boolean inOrder(List<String> expected, List<String> actual) {
    int j = 0;
    for (var line : expected) {
        while (j < actual.size() && !same(line, actual.get(j))) j++;
        if (j++ == actual.size()) return false;
    }
    return true;
}

/** Equal lines; bash's "real 0m3.019s" equals any time within a second of it. */
static boolean same(String expected, String actual) {
    if (expected.equals(actual)) return true;
    var e = REAL_TIME.matcher(expected);
    var a = REAL_TIME.matcher(actual);
    return e.matches() && a.matches() && Math.abs(seconds(e) - seconds(a)) <= 1.0;
}

static double seconds(Matcher time) {
    return Integer.parseInt(time.group(1)) * 60 + Double.parseDouble(time.group(2));
}

// The step's server: started through ./jbang as the lessons say, on a free port, and stopped with all it started.

static Server start(Path step, List<String> args, boolean once) throws IOException, InterruptedException {
    var output = Files.createTempFile("lessons-" + step.getFileName(), ".log");
    var command = new ArrayList<>(List.of("./jbang", step.getFileName() + "/Server.java", "0"));
    command.addAll(args);
    var process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    for (long end = System.nanoTime() + START_TIMEOUT.toNanos(); System.nanoTime() < end; ) {
        var banner = BANNER_PORT.matcher(Files.readString(output, StandardCharsets.UTF_8));
        if (banner.find()) return new Server(process, output, Integer.parseInt(banner.group(1)), args, once);
        if (!process.isAlive()) break;
        Thread.sleep(50);
    }
    kill(process.toHandle());
    throw new IllegalStateException(step.getFileName() + " did not start: " + Files.readString(output).strip());
}

/** Stops a server; one started for a single command is first given a moment to exit by itself (step 03 does). */
static void stop(Server server) throws IOException, InterruptedException {
    if (server == null) return;
    if (server.once()) server.process().waitFor(2, TimeUnit.SECONDS);
    kill(server.process().toHandle());
    server.process().waitFor(5, TimeUnit.SECONDS);
    Files.deleteIfExists(server.output());
}

static void kill(ProcessHandle process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
}

static String where(Path lesson, int index) {
    return lesson + ":" + (index + 1);
}

// The command line: which steps.

static List<Path> parseSteps(String[] args) throws IOException {
    if (!Files.isRegularFile(Path.of("tests/Lessons.java"))) {
        System.err.println("Error: run this from the repository's root folder\n" + USAGE);
        System.exit(2);
    }
    List<Path> all;
    try (var folders = Files.list(Path.of(""))) {
        all = folders.filter(folder -> STEP_FOLDER.matcher(folder.getFileName().toString()).matches())
                .filter(folder -> Files.isRegularFile(folder.resolve("README.md")))
                .filter(folder -> number(folder) >= FIRST_STEP).sorted().toList();
    }
    if (args.length == 0) return all;
    var chosen = new ArrayList<Path>();
    for (var arg : args) {
        if (arg.equals("-h") || arg.equals("--help")) {
            IO.println(USAGE);
            System.exit(0);
        }
        var digits = arg.replaceFirst("^step", "").replaceFirst("-.*$", "");
        var step = digits.matches("[0-9]{1,2}") ? all.stream()
                .filter(folder -> number(folder) == Integer.parseInt(digits)).findFirst() : Optional.<Path>empty();
        if (step.isEmpty()) {
            System.err.println("Error: '" + arg + "' names no step from 03 on\n" + USAGE);
            System.exit(2);
        }
        chosen.add(step.get());
    }
    return chosen;
}

static int number(Path folder) {
    var matcher = STEP_FOLDER.matcher(folder.getFileName().toString());
    return matcher.matches() ? Integer.parseInt(matcher.group(1)) : -1;
}
