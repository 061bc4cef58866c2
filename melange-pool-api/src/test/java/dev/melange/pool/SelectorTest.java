package dev.melange.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SelectorTest {

  private static final Map<String, String> NO_LABELS = Map.of();

  @Nested
  class Matching {

    @Test
    void equalsMatchesOnlyBackendsWithThatValue() {
      Selector selector = Selector.parse("tier=high");

      assertThat(selector.matches(Map.of("tier", "high"))).isTrue();
      assertThat(selector.matches(Map.of("tier", "low"))).isFalse();
      assertThat(selector.matches(Map.of("tier", "HIGH"))).isFalse();
      assertThat(selector.matches(Map.of("other", "high"))).isFalse();
      assertThat(selector.matches(NO_LABELS)).isFalse();
    }

    @Test
    void doubleEqualsMeansTheSameAsEquals() {
      Selector selector = Selector.parse("tier==high");

      assertThat(selector).isEqualTo(Selector.parse("tier=high"));
      assertThat(selector.matches(Map.of("tier", "high"))).isTrue();
      assertThat(selector.matches(Map.of("tier", "low"))).isFalse();
    }

    @Test
    void equalsWithAnEmptyValueMatchesOnlyAnEmptyLabel() {
      Selector selector = Selector.parse("tier=");

      assertThat(selector.matches(Map.of("tier", ""))).isTrue();
      assertThat(selector.matches(Map.of("tier", "high"))).isFalse();
      assertThat(selector.matches(NO_LABELS)).isFalse();
    }

    @Test
    void notEqualsMatchesBackendsWithAnotherValue() {
      Selector selector = Selector.parse("tier!=high");

      assertThat(selector.matches(Map.of("tier", "low"))).isTrue();
      assertThat(selector.matches(Map.of("tier", ""))).isTrue();
      assertThat(selector.matches(Map.of("tier", "high"))).isFalse();
    }

    @Test
    void notEqualsMatchesBackendsWithoutTheKey() {
      Selector selector = Selector.parse("tier!=high");

      assertThat(selector.matches(NO_LABELS)).isTrue();
      assertThat(selector.matches(Map.of("gpu", "high"))).isTrue();
    }

    @Test
    void inMatchesBackendsWithAnyListedValue() {
      Selector selector = Selector.parse("tier in (high,medium)");

      assertThat(selector.matches(Map.of("tier", "high"))).isTrue();
      assertThat(selector.matches(Map.of("tier", "medium"))).isTrue();
      assertThat(selector.matches(Map.of("tier", "low"))).isFalse();
    }

    @Test
    void inRejectsBackendsWithoutTheKey() {
      Selector selector = Selector.parse("tier in (high,medium)");

      assertThat(selector.matches(NO_LABELS)).isFalse();
      assertThat(selector.matches(Map.of("high", "tier"))).isFalse();
    }

    @Test
    void notInRejectsBackendsWithAListedValue() {
      Selector selector = Selector.parse("tier notin (high,medium)");

      assertThat(selector.matches(Map.of("tier", "high"))).isFalse();
      assertThat(selector.matches(Map.of("tier", "medium"))).isFalse();
      assertThat(selector.matches(Map.of("tier", "low"))).isTrue();
    }

    @Test
    void notInMatchesBackendsWithoutTheKey() {
      Selector selector = Selector.parse("tier notin (high,medium)");

      assertThat(selector.matches(NO_LABELS)).isTrue();
      assertThat(selector.matches(Map.of("gpu", "high"))).isTrue();
    }

    @Test
    void aSetMayHoldTheEmptyValueAsKubernetesAllows() {
      Selector selector = Selector.parse("tier in (high,)");

      assertThat(selector.matches(Map.of("tier", ""))).isTrue();
      assertThat(selector.matches(Map.of("tier", "high"))).isTrue();
      assertThat(selector.matches(Map.of("tier", "low"))).isFalse();
      assertThat(selector.matches(NO_LABELS)).isFalse();
    }

    @Test
    void existsMatchesBackendsWithTheKeyWhateverItsValue() {
      Selector selector = Selector.parse("gpu");

      assertThat(selector.matches(Map.of("gpu", "a100"))).isTrue();
      assertThat(selector.matches(Map.of("gpu", ""))).isTrue();
      assertThat(selector.matches(Map.of("tier", "gpu"))).isFalse();
      assertThat(selector.matches(NO_LABELS)).isFalse();
    }

    @Test
    void doesNotExistMatchesOnlyBackendsWithoutTheKey() {
      Selector selector = Selector.parse("!gpu");

      assertThat(selector.matches(NO_LABELS)).isTrue();
      assertThat(selector.matches(Map.of("tier", "gpu"))).isTrue();
      assertThat(selector.matches(Map.of("gpu", ""))).isFalse();
      assertThat(selector.matches(Map.of("gpu", "a100"))).isFalse();
    }

    @Test
    void commaRequiresEveryRequirementToHold() {
      Selector selector = Selector.parse("tier=high,!gpu,zone in (a,b)");

      assertThat(selector.matches(Map.of("tier", "high", "zone", "a"))).isTrue();
      assertThat(selector.matches(Map.of("tier", "low", "zone", "a"))).isFalse();
      assertThat(selector.matches(Map.of("tier", "high", "zone", "a", "gpu", "x"))).isFalse();
      assertThat(selector.matches(Map.of("tier", "high", "zone", "c"))).isFalse();
      assertThat(selector.matches(Map.of("tier", "high"))).isFalse();
    }

    @Test
    void contradictoryRequirementsMatchNothing() {
      Selector selector = Selector.parse("tier=high,tier=low");

      assertThat(selector.matches(Map.of("tier", "high"))).isFalse();
      assertThat(selector.matches(Map.of("tier", "low"))).isFalse();
      assertThat(selector.matches(NO_LABELS)).isFalse();
    }

    @Test
    void operatorWordsCanBeKeysAndValues() {
      Selector selector = Selector.parse("in in (notin),notin=in,!in");

      assertThat(selector.matches(Map.of("in", "notin"))).isFalse();
      assertThat(selector.matches(Map.of("notin", "in"))).isFalse();
      assertThat(Selector.parse("in in (notin)").matches(Map.of("in", "notin"))).isTrue();
      assertThat(Selector.parse("notin=in").matches(Map.of("notin", "in"))).isTrue();
      assertThat(Selector.parse("notin").matches(Map.of("notin", "x"))).isTrue();
    }

    @Test
    void requirementsThatJoinToTheSameTextAreStillBothKept() {
      // "a\u0000b" is one value, (a,b) are two: neither requirement may swallow the other.
      Selector both = Selector.parse("k in (a\u0000b),k in (a,b)");

      assertThat(both).isNotEqualTo(Selector.parse("k in (a\u0000b)"));
      assertThat(both).isNotEqualTo(Selector.parse("k in (a,b)"));
      assertThat(both.matches(Map.of("k", "a\u0000b"))).isFalse();
      assertThat(both.matches(Map.of("k", "a"))).isFalse();
    }
  }

  @Nested
  class EmptySelector {

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\t", "  \n  "})
    void emptyOrBlankExpressionIsAny(String expression) {
      Selector selector = Selector.parse(expression);

      assertThat(selector).isEqualTo(Selector.any()).hasSameHashCodeAs(Selector.any());
      assertThat(selector.isEmpty()).isTrue();
      assertThat(selector).hasToString("");
    }

    @Test
    void anyMatchesEveryBackend() {
      assertThat(Selector.any().matches(NO_LABELS)).isTrue();
      assertThat(Selector.any().matches(Map.of("tier", "high", "gpu", ""))).isTrue();
    }

    @Test
    void aSelectorWithRequirementsIsNotEmpty() {
      assertThat(Selector.parse("gpu").isEmpty()).isFalse();
      assertThat(Selector.parse("!gpu").isEmpty()).isFalse();
      assertThat(Selector.parse("gpu")).isNotEqualTo(Selector.any());
    }
  }

  @Nested
  class Whitespace {

    @Test
    void spacesAroundOperatorsAndCommasAreIgnored() {
      assertThat(Selector.parse("tier = high , !gpu")).isEqualTo(Selector.parse("tier=high,!gpu"));
      assertThat(Selector.parse("  tier == high  ")).isEqualTo(Selector.parse("tier=high"));
      assertThat(Selector.parse("tier != high")).isEqualTo(Selector.parse("tier!=high"));
      assertThat(Selector.parse("! gpu")).isEqualTo(Selector.parse("!gpu"));
    }

    @Test
    void spacesInsideASetAreIgnored() {
      assertThat(Selector.parse("k in ( a , b )")).isEqualTo(Selector.parse("k in (a,b)"));
      assertThat(Selector.parse("k notin(a,b)")).isEqualTo(Selector.parse("k notin (a,b)"));
      assertThat(Selector.parse("k\tin\n(a)")).isEqualTo(Selector.parse("k in (a)"));
    }

    @Test
    void spacesDoNotBecomePartOfKeysOrValues() {
      Selector selector = Selector.parse(" tier = high , zone in ( a , b ) ");

      assertThat(selector.matches(Map.of("tier", "high", "zone", "b"))).isTrue();
      assertThat(selector).hasToString("tier=high,zone in (a,b)");
    }
  }

  @Nested
  class Equality {

    @Test
    void requirementOrderDoesNotMatter() {
      Selector forward = Selector.parse("tier=high,!gpu,zone in (a,b)");
      Selector backward = Selector.parse("zone in (a,b),!gpu,tier=high");

      assertThat(forward).isEqualTo(backward).hasSameHashCodeAs(backward);
    }

    @Test
    void duplicateRequirementsDoNotMatter() {
      Selector once = Selector.parse("tier=high,!gpu");
      Selector twice = Selector.parse("tier=high,!gpu,tier==high,!gpu");

      assertThat(twice).isEqualTo(once).hasSameHashCodeAs(once);
      assertThat(twice).hasToString(once.toString());
    }

    @Test
    void setValueOrderAndDuplicatesDoNotMatter() {
      Selector sorted = Selector.parse("k in (a,b)");
      Selector shuffled = Selector.parse("k in (b,a,b)");

      assertThat(shuffled).isEqualTo(sorted).hasSameHashCodeAs(sorted);
    }

    @Test
    void selectorsDifferingInOperatorKeyOrValueAreNotEqual() {
      Selector base = Selector.parse("k=v");

      assertThat(base).isNotEqualTo(Selector.parse("k!=v"));
      assertThat(base).isNotEqualTo(Selector.parse("k=w"));
      assertThat(base).isNotEqualTo(Selector.parse("j=v"));
      assertThat(base).isNotEqualTo(Selector.parse("k=v,j"));
      assertThat(Selector.parse("k in (a,b)")).isNotEqualTo(Selector.parse("k notin (a,b)"));
      assertThat(Selector.parse("k in (a,b)")).isNotEqualTo(Selector.parse("k in (a)"));
      assertThat(Selector.parse("k")).isNotEqualTo(Selector.parse("!k"));
    }

    @Test
    void ofMapEqualsTheParsedEqualities() {
      Map<String, String> labels = new LinkedHashMap<>();
      labels.put("zone", "b");
      labels.put("tier", "high");

      Selector selector = Selector.of(labels);

      assertThat(selector)
          .isEqualTo(Selector.parse("tier=high,zone=b"))
          .hasSameHashCodeAs(Selector.parse("zone==b , tier==high"));
      assertThat(selector).hasToString("tier=high,zone=b");
      assertThat(selector.matches(Map.of("tier", "high", "zone", "b", "gpu", "x"))).isTrue();
      assertThat(selector.matches(Map.of("tier", "high"))).isFalse();
    }

    @Test
    void ofAnEmptyMapIsAny() {
      assertThat(Selector.of(Map.of())).isEqualTo(Selector.any());
      assertThat(Selector.of(Map.of()).isEmpty()).isTrue();
    }

    @Test
    void ofMapAcceptsAnEmptyValue() {
      assertThat(Selector.of(Map.of("tier", ""))).isEqualTo(Selector.parse("tier="));
    }

    @Test
    void ofMapRefusesABlankKey() {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Selector.of(Map.of(" ", "v")))
          .withMessage("selector key must not be blank, was \" \"");
    }

    @Test
    void ofMapMatchesTextTheSyntaxCannotWrite() {
      Selector selector = Selector.of(Map.of("pool name", "gpu nodes, large"));

      assertThat(selector.matches(Map.of("pool name", "gpu nodes, large"))).isTrue();
      assertThat(selector.matches(Map.of("pool name", "gpu nodes"))).isFalse();
    }

    @Test
    @SuppressWarnings("NullAway") // a caller outside null-checked code can pass a null value
    void ofMapRefusesANullValue() {
      Map<String, String> labels = new HashMap<>();
      labels.put("tier", null);

      assertThatNullPointerException()
          .isThrownBy(() -> Selector.of(labels))
          .withMessage("selector tier=null: null key or value");
    }
  }

  @Nested
  class Canonical {

    @Test
    void toStringSortsRequirementsAndValuesWithoutSpaces() {
      Selector selector =
          Selector.parse("z == 1 , y notin ( q ) , x != 2 , !m , a in ( c , b ) , e");

      assertThat(selector).hasToString("a in (b,c),e,!m,x!=2,y notin (q),z=1");
    }

    @Test
    void toStringOrdersRequirementsOnOneKeyByOperator() {
      Selector selector = Selector.parse("!k,k,k notin (b),k in (a),k!=b,k=a");

      assertThat(selector).hasToString("k=a,k!=b,k in (a),k notin (b),k,!k");
    }

    @ParameterizedTest
    @ValueSource(
        strings = {
          "tier=high",
          "tier==high",
          "tier=",
          "tier!=",
          "tier!=high , !gpu",
          "k in (b,a),k notin (c)",
          "k in (a,),j notin (,b)",
          "k in (,)",
          "k notin ( , )",
          "in in (notin),notin=in,!in,notin",
          "a.b/c-d_e=x.y-z_0"
        })
    void toStringParsesBackToAnEqualSelector(String expression) {
      Selector selector = Selector.parse(expression);

      Selector reparsed = Selector.parse(selector.toString());

      assertThat(reparsed).isEqualTo(selector).hasToString(selector.toString());
    }

    @Test
    void aSetOfOnlyTheEmptyValueIsWrittenSoItParsesBack() {
      Selector selector = Selector.parse("k in (,)");

      assertThat(selector.matches(Map.of("k", ""))).isTrue();
      assertThat(selector.matches(Map.of("k", "a"))).isFalse();
      assertThat(Selector.parse(selector.toString())).isEqualTo(selector);
    }
  }

  @Nested
  class SyntaxErrors {

    @Test
    void unclosedSetExpectsCommaOrCloseAtTheEnd() {
      assertParseError("tier in (a", "expected ',' or ')', found the end at column 11");
    }

    @Test
    void missingKeyIsReportedAtColumnOne() {
      assertParseError("=v", "expected a label key, found '=' at column 1");
    }

    @Test
    void columnCountsLeadingWhitespace() {
      assertParseError("  =v", "expected a label key, found '=' at column 3");
    }

    @Test
    void emptySetNeedsAtLeastOneValue() {
      assertParseError("k in ()", "expected at least one value, found ')' at column 7");
      assertParseError("k notin ( )", "expected at least one value, found ')' at column 11");
    }

    @Test
    void setWithoutParenthesesIsRefused() {
      assertParseError(
          "k notin a", "expected '(' to open the set of values, found 'a' at column 9");
      assertParseError("k in", "expected '(' to open the set of values, found the end at column 5");
    }

    @Test
    void trailingCommaNeedsAnotherRequirement() {
      assertParseError("k=v,", "expected a label key, found the end at column 5");
      assertParseError("k=v, ", "expected a label key, found the end at column 6");
    }

    @Test
    void bangInsideARequirementMustBeFollowedByEquals() {
      assertParseError("k!v", "expected '=' after '!', found 'v' at column 3");
      assertParseError("k! =v", "expected '=' after '!', found ' ' at column 3");
    }

    @Test
    void emptyRequirementBetweenCommasIsRefused() {
      assertParseError("a,,b", "expected a label key, found ',' at column 3");
    }

    @Test
    void lonelyBangNeedsAKey() {
      assertParseError("!", "expected a label key, found the end at column 2");
      assertParseError("!=v", "expected a label key, found '=' at column 2");
    }

    @Test
    void unknownOperatorIsRefusedAtItsFirstCharacter() {
      assertParseError(
          "tier high",
          "expected one of '=', '==', '!=', 'in', 'notin', ',' or the end, found 'h' at column 6");
      assertParseError(
          "tier inn (a)",
          "expected one of '=', '==', '!=', 'in', 'notin', ',' or the end, found 'i' at column 6");
      assertParseError(
          "tier(a)",
          "expected one of '=', '==', '!=', 'in', 'notin', ',' or the end, found '(' at column 5");
    }

    @Test
    void valuesInASetMustBeSeparatedByCommas() {
      assertParseError("k in (a b)", "expected ',' or ')', found 'b' at column 9");
    }

    @Test
    void somethingAfterARequirementMustBeAComma() {
      assertParseError("!k=v", "expected ',' or the end, found '=' at column 3");
      assertParseError("k=v w", "expected ',' or the end, found 'w' at column 5");
      assertParseError("k in (a) b", "expected ',' or the end, found 'b' at column 10");
      assertParseError("k===v", "expected ',' or the end, found '=' at column 4");
    }

    @Test
    void theExpressionIsShownEscapedAndCut() {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Selector.parse("tier\u001b[2J high"))
          .withMessage(
              "invalid selector \"tier\\u001b[2J high\": expected one of '=', '==', '!=', 'in',"
                  + " 'notin', ',' or the end, found 'h' at column 10");
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Selector.parse("k in (a)\u0001"))
          .withMessage(
              "invalid selector \"k in (a)\\u0001\": expected ',' or the end, found '\\u0001' at"
                  + " column 9");
      String huge = "k=v " + "x".repeat(60_000);
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Selector.parse(huge))
          .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(700))
          .withMessageContaining("... (60004 characters)\": expected ',' or the end");
    }

    private void assertParseError(String expression, String problem) {
      assertThatIllegalArgumentException()
          .isThrownBy(() -> Selector.parse(expression))
          .withMessage("invalid selector \"" + expression + "\": " + problem);
    }
  }
}
