"""Operations helpers: health checks run by container and Kubernetes probes."""
