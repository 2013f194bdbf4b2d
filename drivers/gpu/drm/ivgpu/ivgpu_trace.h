/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ivgpu tracepoints: the banked windows of a small BAR.
 *
 * ivgpu_window_slide	a window switched to a new bank: the window, the bank
 *			before and after, the entries the slide zapped (those
 *			inserted through the window since its last slide) and
 *			the range zaps made, whether it was stolen from another
 *			task, and the wait for the device's acknowledgment
 * ivgpu_window_fault	a user fault served through a window: the VRAM
 *			offset, whether a window already showed it, the
 *			entries inserted
 * ivgpu_window_pin	a kernel copy pinned a window for a part of a request
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ivgpu

#if !defined(_IVGPU_TRACE_H_) || defined(TRACE_HEADER_MULTI_READ)
#define _IVGPU_TRACE_H_

#include <linux/tracepoint.h>
#include <linux/types.h>

TRACE_EVENT(ivgpu_window_slide,
	    TP_PROTO(unsigned int window, u64 from, u64 to, u64 zapped, u32 zaps,
		     bool steal, u64 wait_ns),
	    TP_ARGS(window, from, to, zapped, zaps, steal, wait_ns),
	    TP_STRUCT__entry(__field(unsigned int, window)
			     __field(u64, from)
			     __field(u64, to)
			     __field(u64, zapped)
			     __field(u32, zaps)
			     __field(bool, steal)
			     __field(u64, wait_ns)),
	    TP_fast_assign(__entry->window = window;
			   __entry->from = from;
			   __entry->to = to;
			   __entry->zapped = zapped;
			   __entry->zaps = zaps;
			   __entry->steal = steal;
			   __entry->wait_ns = wait_ns;),
	    TP_printk("window=%u from=0x%llx to=0x%llx zapped=%llu zaps=%u steal=%d wait_ns=%llu",
		      __entry->window, __entry->from, __entry->to, __entry->zapped,
		      __entry->zaps, __entry->steal, __entry->wait_ns)
);

TRACE_EVENT(ivgpu_window_fault,
	    TP_PROTO(unsigned int window, u64 vram, bool hit, u64 inserted),
	    TP_ARGS(window, vram, hit, inserted),
	    TP_STRUCT__entry(__field(unsigned int, window)
			     __field(u64, vram)
			     __field(bool, hit)
			     __field(u64, inserted)),
	    TP_fast_assign(__entry->window = window;
			   __entry->vram = vram;
			   __entry->hit = hit;
			   __entry->inserted = inserted;),
	    TP_printk("window=%u vram=0x%llx hit=%d inserted=%llu",
		      __entry->window, __entry->vram, __entry->hit, __entry->inserted)
);

TRACE_EVENT(ivgpu_window_pin,
	    TP_PROTO(unsigned int window, u64 vram, u64 len),
	    TP_ARGS(window, vram, len),
	    TP_STRUCT__entry(__field(unsigned int, window)
			     __field(u64, vram)
			     __field(u64, len)),
	    TP_fast_assign(__entry->window = window;
			   __entry->vram = vram;
			   __entry->len = len;),
	    TP_printk("window=%u vram=0x%llx len=%llu",
		      __entry->window, __entry->vram, __entry->len)
);

#endif /* _IVGPU_TRACE_H_ */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE ivgpu_trace
#include <trace/define_trace.h>
