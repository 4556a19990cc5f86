// Package demo owns scalebench's built-in system under test and the Docker
// stack that runs the demo application. It must not run load, decide what
// results mean, or touch any container, network or image it did not label
// scalebench.demo=1. (The echo target of the load engine's tests is package
// internal/echo.)
//
// The demo application is shaped like the seed study's ML serving stack (a
// Flask api behind gunicorn sync workers, a Redis queue, model workers): an
// api that queues prediction jobs and model workers that take them.
//
//   - The api (ServeAPI, "demoapp api", "scalebench sut api") serves GET / (a
//     small HTML page), POST /predict (a multipart upload in field "file"),
//     GET /health (mode, workers, workers busy, queue, counters), and, for
//     the workers, GET /jobs/next (long poll) and POST /jobs/{id}/result.
//     Its default mode, API_MODE=pool, is a fixed pool of API_WORKERS (2)
//     blocking workers, like gunicorn's sync workers: each GET / and
//     POST /predict holds one for its whole life. A prediction sleeps
//     API_COST (5ms) preprocessing, enqueues its job and waits for the
//     model's answer, all in its worker; a page sleeps API_INDEX_COST
//     (default API_COST). Requests that find every worker busy wait in a
//     backlog. The health and jobs endpoints never take a worker: were the
//     models to need one, the workers waiting for them would deadlock the
//     api. The api therefore stops on concurrency, not on CPU: it serves at
//     most API_WORKERS / (time a request holds a worker) requests per second.
//   - A model worker (ServeModel, "demoapp model", "scalebench sut model")
//     long-polls the api for one job at a time, "infers" by sleeping for
//     MODEL_SERVICE_TIME (150ms by default, so one replica serves about 6.5
//     predictions per second) and posts the result back. It uses almost no
//     CPU.
//
// With the demo's mix (3 POST /predict : 1 GET /, no think time) one model
// serves about 6.5 predictions/s, 8.7 requests/s. Two workers serve at most
// 2 / (0.75×155ms + 0.25×5ms) ≈ 17 requests/s, whatever the number of
// models, where three models could serve 26. So scaling the model service
// 1→3 about doubles throughput, and 3→5 gives nothing: the bottleneck has
// moved to the api, which is idle on CPU but out of workers.
//
// API_MODE=cpu keeps the older, CPU-bound api: a request holds one of
// API_SLOTS (1) slots only while it burns API_COST (55ms) of CPU, then
// waits for a model without one; a GET / burns API_INDEX_COST (default
// API_COST). Its capacity is API_SLOTS/API_COST requests per second (18.2/s
// by default, whatever the mix), and the stack limits its container to one
// core per slot, so it shows at about 100% CPU per slot once it is the
// bottleneck.
//
// A request still waiting for a worker or slot, or a prediction that no
// model has taken, JOB_TIMEOUT after its arrival fails with 504 (a taken
// one gets another JOB_TIMEOUT for the model to answer, so work in progress
// is never wasted); a prediction that arrives while QUEUE_MAX predictions
// are already in the api fails at once with 503. On SIGTERM the api stops
// admitting new predictions (503), finishes those in flight, then exits; a
// model finishes its current job, then exits.
//
// Knobs, all environment variables (durations as Go durations: "150ms"):
//
//	api:   LISTEN            listen address (default ":8000")
//	       API_MODE          "pool" (default) or "cpu"
//	       API_WORKERS       pool mode: blocking workers (default 2)
//	       API_SLOTS         cpu mode: concurrent preprocessing slots (default 1)
//	       API_COST          time per prediction: slept in pool mode (default
//	                         5ms), busy CPU in cpu mode (default 55ms)
//	       API_INDEX_COST    the same per GET / (default API_COST)
//	       JOB_TIMEOUT       a request's wait for a worker, slot or model, from arrival (default 3s)
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
// compose application; StackOptions.APIMode picks the api's mode, and a
// cpu-mode api gets one core per slot. Stack.Down removes all of it.
package demo
