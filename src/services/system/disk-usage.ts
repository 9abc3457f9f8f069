import type { MetadataStore } from '../../core/metadata.js';
import { Filters } from '../../pkg/filters.js';
import type { ContainerService } from '../containers/container-service.js';
import type { ImageService } from '../images/image-service.js';
import type { VolumeService } from '../volumes/volume-service.js';

/**
 * `GET /system/df`: images with the number of containers using each, containers with their sizes, and the
 * total of unpacked layers (each counted once, however many images share it). Volumes (local ones
 * without driver options, as in Docker) with their size and number of users; the build cache joins when it exists.
 */
export async function diskUsage(deps: {
  metadata: MetadataStore;
  containers: ContainerService;
  images: ImageService;
  volumes: VolumeService;
  apiVersion: number;
}): Promise<Record<string, unknown>> {
  const containers = await deps.containers.list({ all: true, limit: -1, size: true, filters: new Filters() });
  const usage = deps.metadata.view((tx) => {
    const layersSize = tx.listLayers().reduce((sum, l) => sum + l.size, 0);
    const counts = new Map<string, number>();
    for (const c of tx.listContainers()) counts.set(c.imageId, (counts.get(c.imageId) ?? 0) + 1);
    return { layersSize, counts };
  });
  const images = deps.images.list({ all: false, filters: new Filters(), apiVersion: deps.apiVersion }).map((img) => ({
    ...img,
    Containers: usage.counts.get(img.Id) ?? 0,
    SharedSize: 0,
  }));
  return { LayersSize: usage.layersSize, Images: images, Containers: containers, Volumes: await deps.volumes.diskUsage(), BuildCache: [] };
}
