package signals

// Report texts written for these tests in the shape of real reports: the
// environment dumps and logs that vLLM, SGLang and llama.cpp users paste.

const fixtureCollectEnv = "### Your current environment\n\n<details>\n<summary>The output of <code>python collect_env.py</code></summary>\n\n```text\n" +
	"INFO 03-14 09:12:55 [__init__.py:256] Automatically detected platform cuda.\n" +
	"Collecting environment information...\n" +
	"==============================\n        System Info\n==============================\n" +
	"OS                           : Ubuntu 22.04.4 LTS (x86_64)\n" +
	"GCC version                  : (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0\n" +
	"Clang version                : Could not collect\n" +
	"CMake version                : version 3.29.2\n" +
	"Libc version                 : glibc-2.35\n\n" +
	"==============================\n       PyTorch Info\n==============================\n" +
	"PyTorch version              : 2.5.1+cu124\n" +
	"Is debug build               : False\n" +
	"CUDA used to build PyTorch   : 12.4\n" +
	"ROCM used to build PyTorch   : N/A\n\n" +
	"==============================\n       CUDA / GPU Info\n==============================\n" +
	"Is CUDA available            : True\n" +
	"CUDA runtime version         : 12.4.131\n" +
	"CUDA_MODULE_LOADING set to   : LAZY\n" +
	"GPU models and configuration : \nGPU 0: NVIDIA A100-SXM4-80GB\nGPU 1: NVIDIA A100-SXM4-80GB\n\n" +
	"Nvidia driver version        : 550.90.07\n" +
	"HIP runtime version          : N/A\n" +
	"MIOpen runtime version       : N/A\n\n" +
	"==============================\nVersions of relevant libraries\n==============================\n" +
	"[pip3] numpy==1.26.4\n[pip3] torch==2.5.1\n[pip3] transformers==4.48.0\n[pip3] triton==3.1.0\n[conda] Could not collect\n\n" +
	"==============================\n         vLLM Info\n==============================\n" +
	"ROCM Version                 : Could not collect\n" +
	"Neuron SDK Version           : N/A\n" +
	"vLLM Version                 : 0.7.3.post1\n" +
	"vLLM Build Flags:\n  CUDA Archs: Not Set; ROCm: Disabled; Neuron: Disabled\n" +
	"```\n</details>\n\n### 🐛 Describe the bug\n\nServing a 70B model with tensor parallel 2 hangs after the first request.\n"

const fixtureTraceback = "When I raise max_num_seqs to 512 the engine dies during warm-up:\n\n```\n" +
	"INFO 05-02 11:40:01 [gpu_model_runner.py:1120] Loading model weights took 14.99 GiB\n" +
	"ERROR 05-02 11:40:09 [core.py:387] EngineCore hit an exception: Traceback (most recent call last):\n" +
	"ERROR 05-02 11:40:09 [core.py:387]   File \"/opt/venv/lib/python3.12/site-packages/vllm/v1/engine/core.py\", line 378, in run_engine_core\n" +
	"ERROR 05-02 11:40:09 [core.py:387]     engine_core = EngineCoreProc(*args, **kwargs)\n" +
	"Traceback (most recent call last):\n" +
	"  File \"/opt/venv/lib/python3.12/site-packages/vllm/worker/model_runner.py\", line 1702, in profile_run\n" +
	"    self.execute_model(model_input, kv_caches, intermediate_tensors)\n" +
	"  File \"/opt/venv/lib/python3.12/site-packages/torch/nn/modules/module.py\", line 1736, in _call_impl\n" +
	"    return forward_call(*args, **kwargs)\n" +
	"           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n" +
	"torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 3.91 GiB. GPU 0 has a total capacity of 23.64 GiB of which 1.02 GiB is free. Process 48213 has 22.61 GiB memory in use.\n" +
	"```\n"

const fixtureLlamaCrash = "### Name and Version\n\n$ ./build/bin/llama-cli --version\n" +
	"ggml_cuda_init: GGML_CUDA_FORCE_MMQ:    no\n" +
	"ggml_cuda_init: GGML_CUDA_FORCE_CUBLAS: no\n" +
	"ggml_cuda_init: found 1 CUDA devices:\n" +
	"  Device 0: NVIDIA GeForce RTX 4090, compute capability 8.9, VMM: yes\n" +
	"version: 4567 (a1b2c3d4)\n" +
	"built with cc (Ubuntu 13.2.0-23ubuntu4) 13.2.0 for x86_64-linux-gnu\n\n" +
	"### Operating systems\n\nLinux\n\n### GGML backends\n\nCUDA\n\n" +
	"### Relevant log output\n\n```shell\n" +
	"llama_model_loader: loaded meta data with 33 key-value pairs\n" +
	"load_tensors: offloading 48 repeating layers to GPU\n" +
	"/src/llama.cpp/ggml/src/ggml-cuda/ggml-cuda.cu:1312: GGML_ASSERT(ggml_nbytes(src0) <= INT_MAX) failed\n" +
	"[New LWP 91823]\n" +
	"0x00007f3a2c6ea42f in __GI___wait4 () at ../sysdeps/unix/sysv/linux/wait4.c:30\n" +
	"Aborted (core dumped)\n```\n"

const fixtureNvidiaSMI = "nvidia-smi output on the host:\n\n```\n" +
	"+-----------------------------------------------------------------------------------------+\n" +
	"| NVIDIA-SMI 560.35.03              Driver Version: 560.35.03      CUDA Version: 12.6     |\n" +
	"|-----------------------------------------+------------------------+----------------------+\n" +
	"| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |\n" +
	"| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |\n" +
	"|=========================================+========================+======================|\n" +
	"|   0  NVIDIA L40S                    On  |   00000000:01:00.0 Off |                    0 |\n" +
	"| N/A   34C    P8             33W /  350W |       1MiB /  46068MiB |      0%      Default |\n" +
	"+-----------------------------------------+------------------------+----------------------+\n" +
	"```\n\nInstalled with `pip install vllm==0.6.3` inside a python:3.11-bookworm image.\n"

const fixtureWindowsVulkan = "### Name and Version\n\n" +
	"PS C:\\llama> .\\llama-cli.exe --version\r\n" +
	"ggml_vulkan: Found 1 Vulkan devices:\r\n" +
	"ggml_vulkan: 0 = AMD Radeon RX 7900 XTX (AMD proprietary driver) | uma: 0 | fp16: 1 | warp size: 64\r\n" +
	"version: 5012 (0f1e2d3c)\r\n\r\n" +
	"### Operating systems\r\n\r\nWindows\r\n\r\n### GGML backends\r\n\r\nVulkan\r\n\r\n" +
	"### Problem description\r\n\r\nOn Windows 11 Pro 23H2 loading a 32B model with -ngl 99 fails:\r\n\r\n```\r\n" +
	"ggml_vulkan: Device memory allocation of size 4294967296 failed.\r\n" +
	"ggml_vulkan: vk::Device::allocateMemory: ErrorOutOfDeviceMemory\r\n" +
	"llama_model_load: error loading model: unable to allocate Vulkan0 buffer\r\n" +
	"llama_model_load_from_file_impl: failed to load model\r\n```\r\n"

const fixtureSGLangLog = "### Describe the bug\n\nWith two nodes the server crashes after about an hour of load.\n\n```\n" +
	"[2025-01-09 08:15:02 TP3] Scheduler hit an exception: Traceback (most recent call last):\n" +
	"  File \"/sgl-workspace/sglang/python/sglang/srt/managers/scheduler.py\", line 1748, in run_scheduler_process\n" +
	"    scheduler.event_loop_overlap()\n" +
	"RuntimeError: NCCL error: unhandled cuda error (run with NCCL_DEBUG=INFO for details)\n\n" +
	"[rank3]:[E109 08:15:02.512345 ProcessGroupNCCL.cpp:616] [Rank 3] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=8812, OpType=ALLREDUCE) ran for 600043 milliseconds before timing out.\n" +
	"[2025-01-09 08:15:03] INFO:     10.0.0.7:51234 - \"POST /v1/chat/completions HTTP/1.1\" 500 Internal Server Error\n" +
	"```\n\n### Environment\n\n```\n" +
	"Python: 3.10.16 (main, Dec 11 2024, 16:24:50) [GCC 11.2.0]\n" +
	"CUDA available: True\n" +
	"GPU 0,1,2,3,4,5,6,7: NVIDIA H100 80GB HBM3\n" +
	"GPU 0,1,2,3,4,5,6,7 Compute Capability: 9.0\n" +
	"CUDA_HOME: /usr/local/cuda\n" +
	"NVCC: Cuda compilation tools, release 12.4, V12.4.131\n" +
	"CUDA Driver Version: 550.127.05\n" +
	"PyTorch: 2.5.1+cu124\n" +
	"sglang: 0.4.1.post3\n" +
	"flashinfer: 0.1.6+cu124torch2.4\n" +
	"vllm: 0.6.4.post1\n" +
	"```\n"

const fixtureROCm = "Running on 8x AMD Instinct MI300X with ROCm 6.2 (torch==2.5.0+rocm6.2).\n\n" +
	"```\n" +
	"ROCM used to build PyTorch: 6.2.41133-dd7f95766\n" +
	"HIP runtime version: 6.2.41133\n" +
	"ERROR 11-02 14:00:00 engine.py:135] RuntimeError: HIP error: invalid device function\n" +
	"```\n"

const fixtureMetal = "On my MacBook Pro (Apple M2 Max, macOS Sonoma 14.5) the Metal backend produces garbage.\n" +
	"ggml_metal_init: allocating\n" +
	"ggml_metal_init: found device: Apple M2 Max\n" +
	"The same model works on our bare-metal Linux server with the CPU backend.\n"

// fixtureProse mentions error words the way people write them in prose and
// code; none of it is an exception raised in the report.
const fixtureProse = "I get an Error when I run the server, and the ValueError is confusing.\n\n" +
	"```python\ntry:\n    client.chat()\nexcept ValueError:\n    pass\n```\n\n" +
	"ROCM used to build PyTorch: N/A\nHIP runtime version: N/A\n" +
	"We run it on bare-metal machines.\n"
