// SPDX-License-Identifier: GPL-2.0
/* 6.3 made vma->vm_flags read-only behind vm_flags_set(). */
#include <linux/mm.h>

void ipcoff_probe(struct vm_area_struct *vma);
void ipcoff_probe(struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_DONTEXPAND);
}
