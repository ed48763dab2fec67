package workshop;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/** The files the tests serve: copied from the step or from tests/fixtures/, and the sentinel no response may hold. */
final class Fixtures {
    /** Written into every file that must never be sent nor run; random, so that no other file can hold it. */
    static final String SECRET = "sentinel-" + UUID.randomUUID();

    private Fixtures() {}

    /** tests/fixtures/NAME in the repository. */
    static Path fixtures(String name) {
        return Step.root().resolve("tests").resolve("fixtures").resolve(name);
    }

    /** Copies a folder's tree into another, merging with what is there. */
    static void copyTree(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (var file : files.toList()) {
                var target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) Files.createDirectories(target);
                else Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /**
     * Copies a tree of fixtures, replacing each @NAME@ in them by its value (what only the run knows: the secret,
     * a path in a temporary folder), and makes executable the files named: a checkout may not keep the bit.
     */
    static void install(Path from, Path to, Map<String, String> values, String... executables) throws IOException {
        copyTree(from, to);
        try (var files = Files.walk(from)) {
            for (var file : files.filter(Files::isRegularFile).toList()) {
                var target = to.resolve(from.relativize(file).toString());
                var text = Files.readString(target, StandardCharsets.ISO_8859_1);  // byte for byte, whatever it holds
                for (var value : values.entrySet()) text = text.replace("@" + value.getKey() + "@", value.getValue());
                Files.writeString(target, text, StandardCharsets.ISO_8859_1);
            }
        }
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) return;  // Windows: no such bit
        for (var name : executables)
            Files.setPosixFilePermissions(to.resolve(name), PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    static void symlink(Path link, Path target) {
        try {
            Files.createSymbolicLink(link, target);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows without the privilege: the requests then find nothing, and the symlink cases are skipped
        }
    }

    static boolean onPath(String program) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, program))
                        || Files.isExecutable(Path.of(dir, program + ".exe")));
    }
}
