package workshop;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A step's server for a test class: started on port 0 before the class's first test, and stopped, with every
 * process it started, after its last. The step is the one the class is tagged with, so a class names it once:
 * <pre>
 * &#64;Tag("step04")
 * class Step04Test extends KeepAliveContract {
 *     &#64;RegisterExtension
 *     static final StepServer server = StepServer.of(launch -> launch.jvm(FAST_DEADLINE)).forContract();
 * </pre>
 * Tests then use {@code server.port()}, {@code server.step()} (its output, its process), and start the step's
 * other programs with {@code server.launch("Client.java")}.
 */
public final class StepServer implements BeforeAllCallback, AfterAllCallback {
    static final Map<Class<?>, StepServer> CONTRACT = new ConcurrentHashMap<>();

    /** How to run it, beyond "Server.java 0": more arguments, JVM options. May prepare files first. */
    public interface Options {
        Step.Launch apply(Step.Launch launch) throws IOException;
    }

    private final Options options;
    private final boolean oneShot;
    private final boolean forContract;
    private final List<Step> started = new CopyOnWriteArrayList<>();
    private volatile Class<?> testClass;
    private volatile Step step;

    private StepServer(Options options, boolean oneShot, boolean forContract) {
        this.options = options;
        this.oneShot = oneShot;
        this.forContract = forContract;
    }

    public static StepServer of(Options options) {
        return new StepServer(options, false, false);
    }

    /** "Server.java 0" and nothing more. */
    public static StepServer plain() {
        return of(launch -> launch);
    }

    /** The server HttpContract's checks run against (one per class). */
    public StepServer forContract() {
        return new StepServer(options, oneShot, true);
    }

    /** For a step that answers one request and exits: none runs before the tests; each {@link #next()} starts one. */
    public StepServer oneShot() {
        return new StepServer(options, true, forContract);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        testClass = context.getRequiredTestClass();
        if (forContract && CONTRACT.putIfAbsent(testClass, this) != null)
            throw new IllegalStateException(testClass.getSimpleName() + " has two StepServers forContract()");
        if (!oneShot) {
            step = start();
            step.port();  // its banner: a server that cannot start fails the class here, once, not every test
        }
    }

    /** Stops every process this server started; a test that started its own closes it itself (try-with-resources). */
    @Override
    public void afterAll(ExtensionContext context) {
        started.forEach(Step::close);
    }

    Step start() throws IOException {
        var launched = options.apply(launch("Server.java").args("0")).start();
        started.add(launched);
        launched.reportWith(testClass);
        return launched;
    }

    /** The running server: its output, its process. */
    public Step step() {
        if (oneShot) throw new IllegalStateException("a one-shot server runs once per check: use next()");
        return step;
    }

    public int port() {
        return step().port();
    }

    /** A server ready for the next request: the running one, or for a one-shot step a new one. */
    public Step next() throws IOException {
        return oneShot ? start() : step;
    }

    public boolean isOneShot() {
        return oneShot;
    }

    /** Another program of the same step, or the server itself run another way (through ./jbang, with other options). */
    public Step.Launch launch(String program) {
        return Step.launch(folderName(), program);
    }

    /**
     * This server as the extension starts it ("Server.java 0", its arguments and JVM options), for a test that needs
     * one more with an option of its own, e.g. {@code .jvm("-Dworkshop.idleTimeoutMillis=500")}. The test starts it,
     * and closes it (try-with-resources).
     */
    public Step.Launch serverLaunch() throws IOException {
        return options.apply(launch("Server.java").args("0"));
    }

    /** The step's folder in the repository, e.g. for the files it serves. */
    public Path folder() {
        return Step.root().resolve(folderName());
    }

    String folderName() {
        if (testClass == null) throw new IllegalStateException("a StepServer is a static @RegisterExtension field");
        return Step.folder(testClass);
    }

    /** The server a test class declared forContract(). */
    static StepServer contractOf(Class<?> testClass) {
        var server = CONTRACT.get(testClass);
        if (server == null)
            throw new IllegalStateException(testClass.getSimpleName() + " declares no StepServer forContract()");
        return server;
    }
}
