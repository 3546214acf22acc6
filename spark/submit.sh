#!/usr/bin/env bash
# Entrypoint of the job image: submits the users stream in client mode to the standalone master.
# The driver runs here (this container/pod); executors run on the SparkCluster workers and reach the
# driver at $SPARK_DRIVER_HOST:7078 (RPC) and :7079 (block manager). The connector jars baked into
# /opt/spark/jars are also handed to the executors with --jars (listed in connector-jars.txt), so
# the workers need no ivy and no extra jars. Everything else comes from the environment (see README).
set -euo pipefail

app="$(cd "$(dirname "$0")" && pwd)"
spark_home="${SPARK_HOME:-/opt/spark}"

# The variables spark-submit needs, with the defaults and the checks of the job's environment
# descriptors (users_stream/spark-job.environment.json, from contracts/interfaces.ts): a missing
# required one is one line on stderr and exit status 2.
settings=$(PYTHONPATH="$app${PYTHONPATH:+:$PYTHONPATH}" python3 -m users_stream.config \
  SPARK_MASTER_URL SPARK_DRIVER_HOST KAFKA_TOPIC SPARK_EXECUTOR_CORES SPARK_EXECUTOR_MEMORY SPARK_CORES_MAX \
  SPARK_JVM_OPTIONS) \
  || exit $?
eval "$settings"

jars=""
if [ -f "$app/connector-jars.txt" ]; then
  jars=$(sed "s#^#$spark_home/jars/#" "$app/connector-jars.txt" | paste -sd, -)
fi

exec "$spark_home/bin/spark-submit" \
  --master "$SPARK_MASTER_URL" \
  --deploy-mode client \
  --name "users-stream-$KAFKA_TOPIC" \
  --conf "spark.driver.host=$SPARK_DRIVER_HOST" \
  --conf spark.driver.port=7078 \
  --conf spark.blockManager.port=7079 \
  --conf spark.driver.bindAddress=0.0.0.0 \
  --conf "spark.executor.cores=$SPARK_EXECUTOR_CORES" \
  --conf "spark.executor.memory=$SPARK_EXECUTOR_MEMORY" \
  --conf "spark.cores.max=$SPARK_CORES_MAX" \
  --conf "spark.driver.extraJavaOptions=$SPARK_JVM_OPTIONS" \
  --conf "spark.executor.extraJavaOptions=$SPARK_JVM_OPTIONS" \
  ${jars:+--jars "$jars"} \
  --py-files "$app/users_stream.zip" \
  "$app/main.py"
