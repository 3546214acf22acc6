"""Step 2 of users_pipeline, one operator per target.

- docker: DockerOperator through the Docker socket proxy (``AIRFLOW_VAR_DOCKER_URL``), on the
  stack's network, container removed afterwards, as the image's unprivileged user.
- kubernetes: KubernetesPodOperator in ``AIRFLOW_VAR_KUBERNETES_NAMESPACE``, without a Kubernetes API
  token (the producer only talks to Kafka), requests and limits, a non-root, read-only,
  capability-free security context.
- local: the producer CLI (``AIRFLOW_VAR_PRODUCER_COMMAND``) as a child process of the task.

The image, the record count and the ``PRODUCER_*`` environment are the same for all three.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import BaseOperator

from users_pipeline_tasks.settings import PipelineSettings
from users_pipeline_tasks.steps import CHECK_TASK_ID, produce_local
from users_pipeline_tasks.variables import airflow_key

PRODUCE_TASK_ID = "produce"
PRODUCER_UID = 1000  # the `node` user of the producer image (node:22 bookworm-slim)
PRODUCER_IMAGE_TEMPLATE = "{{ var.value." + airflow_key("AIRFLOW_VAR_PRODUCER_IMAGE") + " }}"
COUNT_TEMPLATE = "{{ ti.xcom_pull(task_ids='" + CHECK_TASK_ID + "')['count'] }}"


def producer_container_env(settings: PipelineSettings) -> dict[str, str]:
    """The container's environment: the ``PRODUCER_*`` variable plus this run's count (templated)."""
    return {**settings.producer_env, "PRODUCER_COUNT": COUNT_TEMPLATE}


def docker_produce(settings: PipelineSettings, **task_args: Any) -> BaseOperator:
    from airflow.providers.docker.operators.docker import DockerOperator

    return DockerOperator(
        task_id=PRODUCE_TASK_ID,
        image=PRODUCER_IMAGE_TEMPLATE,
        docker_url=settings.docker_url,
        network_mode=settings.docker_network,
        environment=producer_container_env(settings),
        auto_remove="force",
        mount_tmp_dir=False,
        user=f"{PRODUCER_UID}:{PRODUCER_UID}",
        privileged=False,
        mem_limit="512m",
        cpus=1.0,
        tty=False,
        **task_args,
    )


def kubernetes_produce(settings: PipelineSettings, **task_args: Any) -> BaseOperator:
    from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    from kubernetes.client import models as k8s

    return KubernetesPodOperator(
        task_id=PRODUCE_TASK_ID,
        name="users-producer",
        namespace=settings.kubernetes_namespace,
        # The target's `producer` ServiceAccount (else the namespace's default), without its token:
        # the producer never calls the Kubernetes API (only the scheduler's pod-launcher account
        # does, to start this pod).
        service_account_name=settings.producer_service_account,
        automount_service_account_token=False,
        image=PRODUCER_IMAGE_TEMPLATE,
        env_vars=producer_container_env(settings),
        in_cluster=True,
        get_logs=True,
        on_finish_action="delete_pod",
        labels={"app.kubernetes.io/name": "producer", "app.kubernetes.io/part-of": "data-pipeline"},
        container_resources=k8s.V1ResourceRequirements(
            requests={"cpu": "250m", "memory": "256Mi"},
            limits={"cpu": "1", "memory": "512Mi"},
        ),
        security_context=k8s.V1PodSecurityContext(
            run_as_non_root=True,
            run_as_user=PRODUCER_UID,
            run_as_group=PRODUCER_UID,
            seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault"),
        ),
        container_security_context=k8s.V1SecurityContext(
            allow_privilege_escalation=False,
            read_only_root_filesystem=True,
            run_as_non_root=True,
            capabilities=k8s.V1Capabilities(drop=["ALL"]),
        ),
        **task_args,
    )


def local_produce(settings: PipelineSettings, **task_args: Any) -> BaseOperator:
    timeout: timedelta = task_args["execution_timeout"]
    return PythonOperator(
        task_id=PRODUCE_TASK_ID,
        python_callable=produce_local,
        op_kwargs={
            # the child is killed a little before the task's own execution timeout
            "timeout_seconds": max(timeout.total_seconds() - 30, 30),
        },
        **task_args,
    )


def produce_task(settings: PipelineSettings, **task_args: Any) -> BaseOperator:
    """The produce operator for ``settings.target``."""
    builders = {
        "docker": docker_produce,
        "kubernetes": kubernetes_produce,
        "local": local_produce,
    }
    return builders[settings.target](settings, **task_args)
