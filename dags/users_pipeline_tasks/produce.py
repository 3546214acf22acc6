"""Step 2 of users_pipeline, one operator per target.

- docker: DockerOperator through the Docker socket proxy (``AIRFLOW_VAR_DOCKER_URL``), on the
  stack's network, container removed afterwards, as the image's unprivileged user.
- kubernetes: KubernetesPodOperator in ``AIRFLOW_VAR_KUBERNETES_NAMESPACE``, without a Kubernetes API
  token (the producer only talks to Kafka), requests and limits, a non-root, read-only,
  capability-free security context.
- local: the producer CLI (``AIRFLOW_VAR_PRODUCER_COMMAND``) as a child process of the task.

The image, the record count and the ``PRODUCER_*`` environment are the same for all three. So is
the producer's Kafka login when one is configured, though each target hands it over its own way,
never through a template (an operator's templated fields are rendered, values included, in the UI):

- docker: ``PRODUCER_SASL_USERNAME``/``PRODUCER_SASL_PASSWORD`` from ``AIRFLOW_VAR_PRODUCER_SASL_USERNAME``
  and ``AIRFLOW_VAR_PRODUCER_SASL_PASSWORD`` in DockerOperator's ``private_environment`` (not templated,
  not rendered, not serialized with the DAG), the password registered with Airflow's secrets masker;
- kubernetes: both from the Secret ``AIRFLOW_VAR_PRODUCER_CREDENTIALS_SECRET`` names (keys ``username``
  and ``password``) by secretKeyRef: the password never passes through Airflow;
- local: both read when the task runs and put into the child's environment only (steps.produce_local).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import BaseOperator
from airflow.sdk.log import mask_secret

from users_pipeline_tasks.settings import PRODUCER_SASL_PASSWORD, PRODUCER_SASL_USERNAME, PipelineSettings
from users_pipeline_tasks.steps import CHECK_TASK_ID, produce_local
from users_pipeline_tasks.variables import airflow_key

PRODUCE_TASK_ID = "produce"
PRODUCER_UID = 1000  # the `node` user of the producer image (node:22 bookworm-slim)
PRODUCER_IMAGE_TEMPLATE = "{{ var.value." + airflow_key("AIRFLOW_VAR_PRODUCER_IMAGE") + " }}"
COUNT_TEMPLATE = "{{ ti.xcom_pull(task_ids='" + CHECK_TASK_ID + "')['count'] }}"


def producer_container_env(settings: PipelineSettings) -> dict[str, str]:
    """The container's environment: the ``PRODUCER_*`` variable plus this run's count (templated)."""
    return {**settings.producer_env, "PRODUCER_COUNT": COUNT_TEMPLATE}


def docker_private_environment(settings: PipelineSettings) -> dict[str, str]:
    """The producer's login for DockerOperator's ``private_environment`` ({} without one)."""
    login = settings.producer_login
    if login is None:
        return {}
    mask_secret(login.password, "AIRFLOW_VAR_PRODUCER_SASL_PASSWORD")
    return login.environment()


def kubernetes_env_vars(settings: PipelineSettings) -> dict[str, str] | list[Any]:
    """The pod's env: the templated ``PRODUCER_*`` values, plus the login by secretKeyRef when one is set.

    Without a Secret it is the mapping as before; with one, a list of V1EnvVar (the operator renders
    each one's ``value``; the two secret references have none).
    """
    environment = producer_container_env(settings)
    secret = settings.producer_credentials_secret
    if secret is None:
        return environment
    from kubernetes.client import models as k8s

    def from_secret(name: str, key: str) -> k8s.V1EnvVar:
        selector = k8s.V1SecretKeySelector(name=secret, key=key)
        return k8s.V1EnvVar(name=name, value_from=k8s.V1EnvVarSource(secret_key_ref=selector))

    return [
        *(k8s.V1EnvVar(name=name, value=value) for name, value in environment.items()),
        from_secret(PRODUCER_SASL_USERNAME, "username"),
        from_secret(PRODUCER_SASL_PASSWORD, "password"),
    ]


def docker_produce(settings: PipelineSettings, **task_args: Any) -> BaseOperator:
    from airflow.providers.docker.operators.docker import DockerOperator

    return DockerOperator(
        task_id=PRODUCE_TASK_ID,
        image=PRODUCER_IMAGE_TEMPLATE,
        docker_url=settings.docker_url,
        network_mode=settings.docker_network,
        environment=producer_container_env(settings),
        private_environment=docker_private_environment(settings),
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
        env_vars=kubernetes_env_vars(settings),
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
