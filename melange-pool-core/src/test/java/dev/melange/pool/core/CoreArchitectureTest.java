package dev.melange.pool.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Core's shape, checked on its compiled classes: packages by temperature that depend one way, and
 * no class but the pool's builder and provider that knows the pool class. Rerun with {@code ./mvnw
 * -B test -pl melange-pool-core -am -Dtest=CoreArchitectureTest
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class CoreArchitectureTest {
  private static final String ROOT = "dev.melange.pool.core";

  private static JavaClasses core;

  @BeforeAll
  static void importCore() throws URISyntaxException {
    Path classes =
        Path.of(LocalBackendPool.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    core =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPath(classes);
  }

  @Test
  void coresSubPackagesDependOnEachOtherWithoutCycles() {
    slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(core);
  }

  @Test
  void coldPackagesNeverReachIntoTheHotOne() {
    noClasses()
        .that()
        .resideInAnyPackage(
            ROOT + ".config..", ROOT + ".health..", ROOT + ".breaker..", ROOT + ".time..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage(ROOT)
        .check(core);
  }

  @Test
  void theTimePackageStandsOnItsOwn() {
    noClasses()
        .that()
        .resideInAPackage(ROOT + ".time..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(ROOT, ROOT + ".config..", ROOT + ".health..", ROOT + ".breaker..")
        .check(core);
  }

  @Test
  void theHealthAndBreakerPackagesKnowNoConfiguration() {
    noClasses()
        .that()
        .resideInAnyPackage(ROOT + ".health..", ROOT + ".breaker..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage(ROOT + ".config..")
        .check(core);
  }

  /**
   * The wait queue, the event hub, the config watch, the health followers and everything else in
   * the hot package talk to the pool through narrow interfaces, so each can be driven without a
   * pool and the pool class is in no import cycle: only what makes pools knows it.
   */
  @Test
  void onlyWhatMakesPoolsKnowsThePoolClass() {
    noClasses()
        .that()
        .doNotBelongToAnyOf(LocalBackendPool.class, PoolBuilder.class, CorePoolProvider.class)
        .should()
        .dependOnClassesThat()
        .belongToAnyOf(LocalBackendPool.class)
        .check(core);
  }
}
