// Package dockerctl owns scalebench's use of the Docker Engine API: it finds
// a compose project's service (compose v1 "p_s_1" and v2 "p-s-1" alike) or a
// Swarm service, scales it the way compose does, waits until every replica is
// running, healthy and (optionally) answering a readiness URL, watches the
// containers around it while it is loaded, and puts the original scale back.
//
// Watch samples the CPU and memory of every container of the compose
// project, or for Swarm of the service's stack (or of the service alone
// when it is in none), never of every task on the engine. It also records
// how much each container's RestartCount rose, whether it was OOM-killed,
// and its die, oom, kill and restart events, so that a replica that dies
// during a load is never silent. It only reads: the events stream and the
// inspections never hold up sampling, and stopping a watch is bounded even
// when the engine stops answering.
//
// Everything goes through github.com/docker/docker/client with API version
// negotiation; no image is ever pulled. Connect finds the engine as the
// docker CLI does (DOCKER_HOST, TLS from DOCKER_TLS_VERIFY and
// DOCKER_CERT_PATH, docker contexts); for an ssh:// host each connection
// runs `ssh … docker system dial-stdio`, the docker CLI's own connection
// helper, and that is the only time a docker command is run.
//
// It must not stop, remove or create anything outside the named project and
// service: every container it touches is first checked against the project,
// service and one-off labels, and must be one compose created (its
// config-hash label and the project's naming); a look-alike is reported
// (Foreign) and left alone. It never creates more than a bounded number of
// replicas (Options.MaxScale), a few at a time, and stops at the first
// create the engine refuses. It knows nothing of load tests or result files
// beyond the results types it fills.
package dockerctl
