package signals

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// benchCorpus generates n report bodies in the shapes issue trackers hold:
// environment dumps, tracebacks, nvidia-smi tables, llama.cpp logs, server
// logs and prose, about 5 KB each on average like the real trackers.
func benchCorpus(n int) (titles, bodies []string, total int) {
	rng := rand.New(rand.NewSource(42))
	gpus := []string{"NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-40GB", "NVIDIA GeForce RTX 4090", "Tesla T4", "AMD Instinct MI300X", "NVIDIA L40S", "Apple M2 Max"}
	excs := []string{"RuntimeError", "ValueError", "torch.OutOfMemoryError", "KeyError", "AssertionError", "ImportError"}
	msgs := []string{"CUDA error: an illegal memory access was encountered", "CUDA out of memory. Tried to allocate 2.00 GiB",
		"Model architectures ['FooForCausalLM'] are not supported for now", "'lm_head.weight'", "NCCL error: unhandled system error", "No module named 'vllm._C'"}
	prose := "When I start the server with tensor parallel size 2 and send a batch of requests, the output is garbled " +
		"and after a few minutes the process exits. It worked with the previous release. "
	part := func(b *strings.Builder) {
		switch rng.Intn(7) {
		case 0: // collect_env
			fmt.Fprintf(b, "Collecting environment information...\nPyTorch version: 2.%d.0+cu12%d\nIs debug build: False\nCUDA used to build PyTorch: 12.%d\nROCM used to build PyTorch: N/A\n\nOS: Ubuntu 22.04.%d LTS (x86_64)\nGCC version: (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0\n", rng.Intn(7), rng.Intn(9), rng.Intn(9), rng.Intn(5))
			fmt.Fprintf(b, "Python version: 3.10.12 (main) [GCC 11.4.0] (64-bit runtime)\nPython platform: Linux-5.15.0-91-generic-x86_64-with-glibc2.35\nIs CUDA available: True\nCUDA runtime version: 12.%d.131\nGPU models and configuration:\n", rng.Intn(9))
			for i := 0; i < 1+rng.Intn(8); i++ {
				fmt.Fprintf(b, "GPU %d: %s\n", i, gpus[rng.Intn(len(gpus))])
			}
			b.WriteString("Nvidia driver version: 550.54.15\nHIP runtime version: N/A\n\nCPU:\nArchitecture: x86_64\nFlags: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx\n")
			for _, p := range []string{"numpy==1.26.4", "nvidia-cublas-cu12==12.1.3.1", "nvidia-nccl-cu12==2.20.5", "torch==2.3.0", "transformers==4.44.2", "triton==2.3.0"} {
				b.WriteString("[pip3] " + p + "\n")
			}
			fmt.Fprintf(b, "ROCM Version: Could not collect\nNeuron SDK Version: N/A\nvLLM Version: 0.%d.%d\nvLLM Build Flags:\nCUDA Archs: Not Set; ROCm: Disabled; Neuron: Disabled\n", 4+rng.Intn(5), rng.Intn(6))
		case 1: // traceback
			b.WriteString("Traceback (most recent call last):\n")
			for i := 0; i < 5+rng.Intn(25); i++ {
				fmt.Fprintf(b, "  File \"/usr/local/lib/python3.10/dist-packages/vllm/engine/mod%d.py\", line %d, in fn%d\n    return self.step(inputs, **kwargs)\n", i, rng.Intn(2000), i)
			}
			i := rng.Intn(len(excs))
			fmt.Fprintf(b, "%s: %s\n", excs[i], msgs[rng.Intn(len(msgs))])
		case 2: // nvidia-smi
			fmt.Fprintf(b, "+---------------------------------------------------------------------------------------+\n| NVIDIA-SMI 535.104.05             Driver Version: 535.104.05   CUDA Version: 12.%d     |\n", rng.Intn(9))
			for i := 0; i < 1+rng.Intn(8); i++ {
				fmt.Fprintf(b, "|   %d  %-30s On  | 00000000:%02X:00.0 Off |                    0 |\n| N/A   31C    P0    61W / 400W |   4MiB / 81920MiB |      0%%      Default |\n", i, gpus[rng.Intn(len(gpus))], i)
			}
		case 3: // llama.cpp log
			fmt.Fprintf(b, "version: %d (%07x)\nbuilt with cc (GCC) 13.2.0 for x86_64-pc-linux-gnu\nggml_cuda_init: found 1 CUDA devices:\n  Device 0: %s, compute capability 8.9, VMM: yes\n", 3000+rng.Intn(2500), rng.Intn(1<<28), gpus[rng.Intn(len(gpus))])
			for i := 0; i < 20+rng.Intn(60); i++ {
				fmt.Fprintf(b, "llama_model_loader: - kv %3d: general.field_%d str = value %d\n", i, i, rng.Intn(1000))
			}
			if rng.Intn(2) == 0 {
				b.WriteString("/src/ggml/src/ggml.c:1234: GGML_ASSERT(ggml_can_mul_mat(a, b)) failed\nAborted (core dumped)\n")
			}
		case 4: // server log
			for i := 0; i < 20+rng.Intn(80); i++ {
				fmt.Fprintf(b, "INFO 05-%02d 10:%02d:%02d [metrics.py:455] Avg prompt throughput: %d.%d tokens/s, Running: %d reqs, GPU KV cache usage: %d.%d%%.\n", rng.Intn(28), rng.Intn(60), rng.Intn(60), rng.Intn(900), rng.Intn(10), rng.Intn(30), rng.Intn(100), rng.Intn(10))
			}
			b.WriteString("INFO:     127.0.0.1:45678 - \"POST /v1/chat/completions HTTP/1.1\" 500 Internal Server Error\n")
		default:
			for i := 0; i < 1+rng.Intn(6); i++ {
				b.WriteString(prose)
			}
			b.WriteString("\n\n")
		}
	}
	for i := 0; i < n; i++ {
		var b strings.Builder
		b.WriteString("### Your current environment\n\n")
		for j := 0; j < 1+rng.Intn(5); j++ {
			part(&b)
		}
		titles = append(titles, fmt.Sprintf("[Bug]: %s with %s on %s", excs[rng.Intn(len(excs))], "tensor parallel", gpus[rng.Intn(len(gpus))]))
		bodies = append(bodies, b.String())
		total += len(titles[i]) + len(bodies[i])
	}
	return titles, bodies, total
}

// BenchmarkExtract runs Extract over a generated corpus of 1,000 reports;
// one op is the whole corpus, so MB/s is the throughput over report text.
func BenchmarkExtract(b *testing.B) {
	titles, bodies, total := benchCorpus(1000)
	rulesOrPanic()
	b.SetBytes(int64(total))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range bodies {
			Extract("vllm-project/vllm", titles[j], bodies[j])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(bodies)), "ns/report")
}

// BenchmarkExtractLarge is one 2 MB log, of which the scan reads 320 KB.
func BenchmarkExtractLarge(b *testing.B) {
	_, bodies, _ := benchCorpus(400)
	body := strings.Join(bodies, "\n")
	rulesOrPanic()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Extract("ggml-org/llama.cpp", "crash", body)
	}
}
