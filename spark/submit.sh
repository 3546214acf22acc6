#!/usr/bin/env bash
# Entrypoint of the job image: submits the users stream in client mode to the standalone master.
# The driver runs here (this container/pod); executors run on the SparkCluster workers and reach the
# driver at $SPARK_DRIVER_HOST:7078 (RPC) and :7079 (block manager). The connector jars baked into
# /opt/spark/jars are also handed to the executors with --jars (listed in connector-jars.txt), so
# the workers need no ivy and no extra jars. Everything else comes from the environment (see README).
set -euo pipefail

require() {
  if [ -z "${!1:-}" ]; then
    echo "users-stream: missing required environment variable $1 ($2)" >&2
    exit 2
  fi
}
require SPARK_MASTER_URL "Spark master URL, spark://host:7077"
require SPARK_DRIVER_HOST "this driver's address as the executors reach it"

app=/opt/app
spark_home="${SPARK_HOME:-/opt/spark}"
jars=""
if [ -f "$app/connector-jars.txt" ]; then
  jars=$(sed "s#^#$spark_home/jars/#" "$app/connector-jars.txt" | paste -sd, -)
fi

exec "$spark_home/bin/spark-submit" \
  --master "$SPARK_MASTER_URL" \
  --deploy-mode client \
  --name "users-stream-${KAFKA_TOPIC:-users_created}" \
  --conf "spark.driver.host=$SPARK_DRIVER_HOST" \
  --conf spark.driver.port=7078 \
  --conf spark.blockManager.port=7079 \
  --conf spark.driver.bindAddress=0.0.0.0 \
  --conf "spark.executor.cores=${SPARK_EXECUTOR_CORES:-1}" \
  --conf "spark.executor.memory=${SPARK_EXECUTOR_MEMORY:-1g}" \
  --conf "spark.cores.max=${SPARK_CORES_MAX:-${SPARK_EXECUTOR_CORES:-1}}" \
  ${jars:+--jars "$jars"} \
  --py-files "$app/users_stream.zip" \
  "$app/main.py"
