package workshop;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every lesson in two languages, kept in step: README.md and README.zh.md link to each other in their first line,
 * have the same sections in the same order (a step's lesson: the eight of the workshop), and the same code blocks,
 * byte for byte. Change a command or an output in one language only, and this fails: change both.
 * Not tagged with a step: it runs with the whole suite.
 */
@DisplayName("lessons: English and 中文 in step")
class LessonsTest {
    static final List<String> SECTIONS = List.of("Goal", "Run it", "Try it", "What changed", "Why it works",
            "Pitfalls", "Ignored for now", "Exercises");
    static final List<String> SECTIONS_ZH = List.of("目标", "运行", "动手试试", "改了什么", "为什么可行", "陷阱",
            "暂且不管", "练习");

    static Stream<Path> lessons() throws IOException {
        try (var folders = Files.list(Step.root())) {
            var all = new ArrayList<Path>(List.of(Step.root().resolve("README.md")));
            folders.filter(folder -> folder.getFileName().toString().matches("step[0-9]{2}-.*")).sorted()
                    .forEach(folder -> all.add(folder.resolve("README.md")));
            return all.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lessons")
    @DisplayName("each README.md has a README.zh.md with the same sections and the same code, each linking the other")
    void inStep(Path english) throws IOException {
        var chinese = english.resolveSibling("README.zh.md");
        var name = Step.root().relativize(english);
        assertTrue(Files.exists(chinese), name + " has no README.zh.md beside it");
        var en = Files.readAllLines(english);
        var zh = Files.readAllLines(chinese);
        assertTrue(en.getFirst().contains("(README.zh.md)"), name + ": its first line links to README.zh.md");
        assertTrue(zh.getFirst().contains("(README.md)"), name + " (中文): its first line links to README.md");
        var enSections = sections(en);
        var zhSections = sections(zh);
        if (english.getParent().equals(Step.root())) {
            assertEquals(enSections.size(), zhSections.size(),
                    name + ": the same number of sections in both languages: " + enSections + " / " + zhSections);
        } else {
            assertEquals(SECTIONS, enSections, name + ": the workshop's eight sections, in order");
            assertEquals(SECTIONS_ZH, zhSections, name + " (中文): the same eight sections, in order");
        }
        var enCode = code(en);
        var zhCode = code(zh);
        for (int i = 0; i < Math.min(enCode.size(), zhCode.size()); i++)
            assertEquals(enCode.get(i), zhCode.get(i), name + ": code block " + (i + 1) + " differs between them");
        assertEquals(enCode.size(), zhCode.size(), name + ": the same number of code blocks in both languages");
    }

    /** The level-two headings, in order. */
    static List<String> sections(List<String> lines) {
        return lines.stream().filter(line -> line.startsWith("## ")).map(line -> line.substring(3).strip()).toList();
    }

    /** The code blocks: runs of lines indented by four spaces (or fenced with ```), each as one text. */
    static List<String> code(List<String> lines) {
        var blocks = new ArrayList<String>();
        var block = new StringBuilder();
        boolean fenced = false;
        for (var line : lines) {
            if (line.startsWith("```")) {
                fenced = !fenced;
                if (!fenced) {
                    blocks.add(block.toString().strip());
                    block.setLength(0);
                }
            } else if (fenced || line.startsWith("    ")) {
                block.append(line).append('\n');
            } else if (!line.isBlank() && !block.isEmpty()) {  // a blank line may sit inside an indented block
                blocks.add(block.toString().strip());
                block.setLength(0);
            }
        }
        if (!block.isEmpty()) blocks.add(block.toString().strip());
        return blocks;
    }
}
