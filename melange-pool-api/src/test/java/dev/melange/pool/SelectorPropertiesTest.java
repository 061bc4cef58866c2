package dev.melange.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;
import net.jqwik.api.arbitraries.StringArbitrary;
import net.jqwik.api.statistics.Statistics;

/**
 * Invariants of {@link Selector} over random requirements and labels. Each requirement is written
 * by the test as text and carries its own meaning as Kubernetes defines it, so the properties do
 * not lean on the parser to tell what a requirement means.
 */
class SelectorPropertiesTest {

  /** The operators as a user writes them; {@code ==} is kept apart from {@code =} on purpose. */
  enum Operator {
    EQUALS,
    DOUBLE_EQUALS,
    NOT_EQUALS,
    IN,
    NOT_IN,
    EXISTS,
    DOES_NOT_EXIST
  }

  /** One requirement as written text, with Kubernetes' meaning of it. */
  record Clause(String key, Operator operator, List<String> values) {

    String expression() {
      return write(() -> "");
    }

    /** The same requirement with white space wherever the syntax tolerates it. */
    String expressionWithSpaces(Random random) {
      return write(() -> someSpace(random));
    }

    private String write(Supplier<String> gap) {
      return switch (operator) {
        case EQUALS -> key + gap.get() + "=" + gap.get() + values.get(0);
        case DOUBLE_EQUALS -> key + gap.get() + "==" + gap.get() + values.get(0);
        case NOT_EQUALS -> key + gap.get() + "!=" + gap.get() + values.get(0);
        // The word "in" must be set apart from the key, or it would become part of it.
        case IN -> key + " " + gap.get() + "in" + gap.get() + set(gap);
        case NOT_IN -> key + " " + gap.get() + "notin" + gap.get() + set(gap);
        case EXISTS -> key;
        case DOES_NOT_EXIST -> "!" + gap.get() + key;
      };
    }

    private String set(Supplier<String> gap) {
      if (values.equals(List.of(""))) {
        return "(" + gap.get() + "," + gap.get() + ")"; // "()" is refused, ',' makes it one value
      }
      return values.stream()
          .map(value -> gap.get() + value + gap.get())
          .collect(Collectors.joining(",", "(", ")"));
    }

    boolean matchesPerKubernetes(Map<String, String> labels) {
      boolean has = labels.containsKey(key);
      return switch (operator) {
        case EQUALS, DOUBLE_EQUALS, IN -> has && values.contains(labels.get(key));
        case NOT_EQUALS, NOT_IN -> !has || !values.contains(labels.get(key));
        case EXISTS -> has;
        case DOES_NOT_EXIST -> !has;
      };
    }
  }

  @Property
  void toStringParsesBackToAnEqualSelector(@ForAll("clauses") List<Clause> clauses) {
    Selector selector = Selector.parse(join(clauses));

    Selector reparsed = Selector.parse(selector.toString());

    assertThat(reparsed).isEqualTo(selector).hasSameHashCodeAs(selector);
    assertThat(reparsed).hasToString(selector.toString());
  }

  @Property
  void matchesIsTheConjunctionOfTheSingleRequirements(
      @ForAll("clauses") List<Clause> clauses, @ForAll("labels") Map<String, String> labels) {
    boolean expected =
        clauses.stream().allMatch(clause -> Selector.parse(clause.expression()).matches(labels));

    boolean actual = Selector.parse(join(clauses)).matches(labels);

    Statistics.label("matches").collect(actual);
    Statistics.label("matches")
        .coverage(
            coverage -> {
              coverage.check(true).percentage(percent -> percent > 5);
              coverage.check(false).percentage(percent -> percent > 5);
            });
    assertThat(actual).isEqualTo(expected);
  }

  // Edge cases would mostly repeat the first operator; the generators hold the edge values anyway.
  @Property(edgeCases = EdgeCasesMode.NONE)
  void aSingleRequirementMatchesAsKubernetesDefinesIt(
      @ForAll("clauseAndLabels") Tuple2<Clause, Map<String, String>> example) {
    Clause clause = example.get1();
    Map<String, String> labels = example.get2();

    boolean actual = Selector.parse(clause.expression()).matches(labels);

    Statistics.label("operator, matches").collect(clause.operator(), actual);
    Statistics.label("operator, matches")
        .coverage(
            coverage -> {
              for (Operator operator : Operator.values()) {
                coverage.check(operator, true).count(count -> count > 0);
                coverage.check(operator, false).count(count -> count > 0);
              }
            });
    assertThat(actual).as(clause.expression()).isEqualTo(clause.matchesPerKubernetes(labels));
  }

  @Property
  void requirementOrderChangesNeitherEqualityNorMatching(
      @ForAll("clauses") List<Clause> clauses,
      @ForAll("labels") Map<String, String> labels,
      @ForAll Random random) {
    List<Clause> shuffled = new ArrayList<>(clauses);
    Collections.shuffle(shuffled, random);
    Selector selector = Selector.parse(join(clauses));

    Selector reordered = Selector.parse(join(shuffled));

    assertThat(reordered).isEqualTo(selector).hasSameHashCodeAs(selector);
    assertThat(reordered).hasToString(selector.toString());
    assertThat(reordered.matches(labels)).isEqualTo(selector.matches(labels));
  }

  @Property
  void repeatingRequirementsChangesNothing(
      @ForAll("clauses") List<Clause> clauses, @ForAll("labels") Map<String, String> labels) {
    Selector selector = Selector.parse(join(clauses));
    List<Clause> twice = new ArrayList<>(clauses);
    twice.addAll(clauses);

    Selector repeated = Selector.parse(join(twice));

    assertThat(repeated).isEqualTo(selector).hasToString(selector.toString());
    assertThat(repeated.matches(labels)).isEqualTo(selector.matches(labels));
  }

  @Property
  void insignificantWhitespaceChangesNothing(
      @ForAll("clauses") List<Clause> clauses, @ForAll Random random) {
    String spaced =
        someSpace(random)
            + clauses.stream()
                .map(clause -> clause.expressionWithSpaces(random))
                .collect(Collectors.joining(someSpace(random) + "," + someSpace(random)))
            + someSpace(random);

    assertThat(Selector.parse(spaced)).isEqualTo(Selector.parse(join(clauses)));
  }

  @Property
  void ofMapEqualsTheParsedEqualities(@ForAll("labels") Map<String, String> required) {
    String written =
        required.entrySet().stream()
            .map(entry -> entry.getKey() + "=" + entry.getValue())
            .collect(Collectors.joining(","));

    Selector selector = Selector.of(required);

    assertThat(selector)
        .isEqualTo(Selector.parse(written))
        .hasSameHashCodeAs(Selector.parse(written));
    assertThat(selector.matches(required)).isTrue();
  }

  @Provide
  Arbitrary<List<Clause>> clauses() {
    return clause().list().ofMaxSize(5);
  }

  @Provide
  Arbitrary<Clause> clause() {
    Arbitrary<Operator> operators = Arbitraries.of(Operator.class);
    Arbitrary<List<String>> sets = values().list().ofMinSize(1).ofMaxSize(3);
    return Combinators.combine(keys(), operators, values(), sets)
        .as(
            (key, operator, value, set) ->
                switch (operator) {
                  case EQUALS, DOUBLE_EQUALS, NOT_EQUALS ->
                      new Clause(key, operator, List.of(value));
                  case IN, NOT_IN -> new Clause(key, operator, set);
                  case EXISTS, DOES_NOT_EXIST -> new Clause(key, operator, List.of());
                });
  }

  /** A requirement and labels that often have its key, and often one of its values. */
  @Provide
  Arbitrary<Tuple2<Clause, Map<String, String>>> clauseAndLabels() {
    return clause().flatMap(clause -> labelsAround(clause).map(labels -> Tuple.of(clause, labels)));
  }

  private Arbitrary<Map<String, String>> labelsAround(Clause clause) {
    Arbitrary<String> value =
        clause.values().isEmpty()
            ? values()
            : Arbitraries.oneOf(Arbitraries.of(clause.values()), values());
    return Combinators.combine(labels(), value, Arbitraries.integers().between(0, 2))
        .as(
            (labels, valueForKey, choice) -> {
              Map<String, String> result = new HashMap<>(labels);
              if (choice == 0) {
                result.remove(clause.key());
              } else if (choice == 1) {
                result.put(clause.key(), valueForKey);
              }
              return result;
            });
  }

  @Provide
  Arbitrary<Map<String, String>> labels() {
    return Arbitraries.maps(keys(), values()).ofMaxSize(4);
  }

  /** Mostly a few common keys, so that requirements and labels meet often. */
  private static Arbitrary<String> keys() {
    return Arbitraries.frequencyOf(
        Tuple.of(8, Arbitraries.of("tier", "gpu", "zone")),
        Tuple.of(1, Arbitraries.of("in", "notin")),
        Tuple.of(1, words().ofMinLength(1)));
  }

  private static Arbitrary<String> values() {
    return Arbitraries.frequencyOf(
        Tuple.of(8, Arbitraries.of("high", "low", "a100")),
        Tuple.of(2, Arbitraries.just("")),
        Tuple.of(1, Arbitraries.of("in", "notin")),
        Tuple.of(1, words()));
  }

  /** Any text the syntax reads as one word: no white space and none of {@code , ( ) = !}. */
  private static StringArbitrary words() {
    return Arbitraries.strings().withChars("abyz09-_./:").withChars("éλ").ofMaxLength(6);
  }

  private static String someSpace(Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> "";
      case 1 -> " ";
      case 2 -> "\t";
      default -> "  \n";
    };
  }

  private static String join(List<Clause> clauses) {
    return clauses.stream().map(Clause::expression).collect(Collectors.joining(","));
  }
}
