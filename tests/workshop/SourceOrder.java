package workshop;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.MethodDescriptor;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.MethodOrdererContext;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Tests in the order they are written, so that a step's report reads like its specification: a class's own tests
 * first, then those it inherits (HttpContract's). JUnit's default order is a hash; the JVM does not keep the
 * source order either, so this reads the test's source file (tests/workshop/NAME.java) for each method's place.
 */
public final class SourceOrder implements MethodOrderer {
    static final Map<Class<?>, String> SOURCES = new ConcurrentHashMap<>();

    @Override
    public void orderMethods(MethodOrdererContext context) {
        var testClass = context.getTestClass();
        context.getMethodDescriptors().sort(Comparator
                .comparingInt((MethodDescriptor m) -> depth(testClass, m.getMethod().getDeclaringClass()))
                .thenComparingInt(m -> position(m.getMethod())));
    }

    /** Ordering says nothing about running at once: each class keeps the execution mode it asks for. */
    @Override
    public Optional<ExecutionMode> getDefaultExecutionMode() {
        return Optional.empty();
    }

    /** 0 for the test class's own methods, 1 for its superclass's, and so on. */
    static int depth(Class<?> testClass, Class<?> declaring) {
        int depth = 0;
        for (var c = testClass; c != null && c != declaring; c = c.getSuperclass()) depth++;
        return depth;
    }

    /** Where "void name(" stands in the source; a method not found (no source here) goes last, in JUnit's order. */
    static int position(Method method) {
        var source = SOURCES.computeIfAbsent(method.getDeclaringClass(), SourceOrder::source);
        var matcher = Pattern.compile("\\bvoid\\s+" + Pattern.quote(method.getName()) + "\\s*\\(").matcher(source);
        return matcher.find() ? matcher.start() : Integer.MAX_VALUE;
    }

    static String source(Class<?> type) {
        try {
            return Files.readString(Step.root().resolve("tests/workshop").resolve(type.getSimpleName() + ".java"));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
