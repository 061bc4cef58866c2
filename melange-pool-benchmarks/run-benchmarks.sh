#!/usr/bin/env bash
# The full benchmark run behind RESULTS.md: about 25 minutes on 2 cores (keep the machine idle).
# Writes melange-pool-benchmarks/results/ (JMH JSON and text, footprint, machine) and the
# tables and charts under melange-pool-benchmarks/.
set -euo pipefail
cd "$(dirname "$0")/.."
module=melange-pool-benchmarks
out=$module/results
jar=$module/target/benchmarks.jar

./mvnw -B -q -pl $module -am package -DskipTests
mkdir -p "$out"
{
  echo "cores: $(nproc)"
  echo "memory: $(free -g | awk '/Mem:/ {print $2 " GiB"}')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  java -version 2>&1 | head -2
  echo "commit: $(git rev-parse --short HEAD)"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
} > "$out/machine.txt"

# The round trips, least-loaded only (the targets' strategy), three forks each: about 17 minutes.
round_trips='AcquireReleaseBenchmark|BusyPoolBenchmark|FloorBenchmark|ReferenceBenchmark'
for threads in 1 2; do
  java -jar "$jar" "$round_trips" -p strategy=least-loaded -t $threads -prof gc \
    -rf json -rff "$out/throughput-t$threads.json" | tee "$out/throughput-t$threads.txt"
done
# Every strategy and affinity (AcquireReleaseBenchmark's default strategy list) at a small and a
# large fleet, 1 thread, two forks: 8 strategies x 2 sizes x 2 forks x (3 + 5) s, about 5 minutes.
java -jar "$jar" 'AcquireReleaseBenchmark' -p backends=16,10000 -t 1 -f 2 -prof gc \
  -rf json -rff "$out/strategies.json" | tee "$out/strategies.txt"
java -jar "$jar" HandoffBenchmark -prof gc -rf json -rff "$out/handoff.json" | tee "$out/handoff.txt"
java -cp "$jar" dev.melange.pool.benchmarks.FootprintReport "$out" | tee "$out/footprint.txt"
java -cp "$jar" dev.melange.pool.benchmarks.ResultsReport "$out" "$module"
