// Package demo owns scalebench's built-in systems under test and the Docker
// stack that runs the demo application. It must not run load, decide what
// results mean, or touch any container, network or image it did not label
// scalebench.demo=1.
//
// It also holds the echo target (Echo, ServeEcho) that the load engine's
// tests and benchmarks run against.
//
// The demo application is shaped like a small ML serving stack: an api that
// queues prediction jobs and model workers that take them.
//
//   - The api (ServeAPI, "demoapp api", "scalebench sut api") serves GET / (a
//     small HTML page), POST /predict (a multipart upload in field "file"),
//     GET /health, and, for the workers, GET /jobs/next (long poll) and
//     POST /jobs/{id}/result. Every prediction first holds one of API_SLOTS
//     preprocessing slots for API_COST of busy CPU, then waits in the job
//     queue for a model; a GET / holds a slot for API_INDEX_COST (default
//     API_COST). The api therefore has a finite capacity of
//     API_SLOTS/API_COST requests per second (1/55ms = 18.2/s by default,
//     whatever the mix of pages and predictions) and shows up at about
//     API_SLOTS×100% CPU once it is the bottleneck.
//   - A model worker (ServeModel, "demoapp model", "scalebench sut model")
//     long-polls the api for one job at a time, "infers" by sleeping for
//     MODEL_SERVICE_TIME (150ms by default, so one replica serves about 6.5
//     predictions per second) and posts the result back. It uses almost no
//     CPU.
//
// So scaling the model service 1→3 nearly doubles throughput, and 3→5 gives
// nothing: the bottleneck has moved to the api.
//
// A prediction that no model has taken within JOB_TIMEOUT of its arrival
// fails with 504 (a taken one gets another JOB_TIMEOUT for the model to
// answer, so work in progress is never wasted); one that arrives while
// QUEUE_MAX predictions are already in the api fails at once with 503. On SIGTERM the api stops admitting new
// predictions (503), finishes those in flight, then exits; a model finishes
// its current job, then exits.
//
// Knobs, all environment variables (durations as Go durations: "150ms"):
//
//	api:   LISTEN            listen address (default ":8000")
//	       API_SLOTS         concurrent preprocessing slots (default 1)
//	       API_COST          busy CPU time per prediction (default 55ms)
//	       API_INDEX_COST    busy CPU time per GET / (default API_COST)
//	       JOB_TIMEOUT       a prediction's wait for a model, from arrival (default 3s)
//	       QUEUE_MAX         predictions admitted at once (default 128)
//	       MAX_UPLOAD_BYTES  largest accepted request body (default 8388608)
//	model: API_URL           the api's base URL (default "http://api:8000")
//	       MODEL_SERVICE_TIME simulated inference time per job (default 150ms)
//	       MODEL_JITTER      uniform ± jitter added to it (default 0s)
//	       POLL_WAIT         long-poll wait per request (default 2s)
//	       LISTEN            health listen address (default ":8001"; "off" disables)
//	       WORKER_NAME       name reported with results (default: host name)
//
// Up builds a FROM scratch image of the demo app from a static Go binary
// and starts api and model containers labelled like a compose v1 project
// (project "scalebench-demo", services "api" and "model"), so that
// scalebench can scale the model service exactly as it scales a real
// compose application. Stack.Down removes all of it.
package demo
