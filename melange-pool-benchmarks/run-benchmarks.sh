#!/usr/bin/env bash
# The full benchmark run behind RESULTS.md: about 20 minutes on 2 cores (keep the machine idle).
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

round_trips='AcquireReleaseBenchmark|BusyPoolBenchmark|FloorBenchmark|ReferenceBenchmark'
for threads in 1 2; do
  java -jar "$jar" "$round_trips" -t $threads -prof gc \
    -rf json -rff "$out/throughput-t$threads.json" | tee "$out/throughput-t$threads.txt"
done
java -jar "$jar" HandoffBenchmark -prof gc -rf json -rff "$out/handoff.json" | tee "$out/handoff.txt"
java -cp "$jar" dev.melange.pool.benchmarks.FootprintReport "$out" | tee "$out/footprint.txt"
java -cp "$jar" dev.melange.pool.benchmarks.ResultsReport "$out" "$module"
