"""Scratch memory: views per role and shape, zero borders kept only while nothing else wrote the buffer."""
import torch
import torch.nn.functional as F

from Miniproject_2.others.kernels import workspace as ws


def test_padded_equals_zero_padding_whatever_ran_before():
    """Small and large tensors, shapes alternating on one role; then again with garbage written through get()
    after every call, so that a border wrongly taken as still zero shows up as NaN."""
    space = ws.Workspace()
    gen = torch.Generator().manual_seed(0)
    small, large = (2, 3, 5, 4), (4, 16, 64, 64)  # below and above OWN_BUFFER
    calls = [(small, (1, 2)), (large, (1, 1)), (small, (1, 2)), (small, (2, 1)), (large, (1, 1)), (large, (2, 2)),
             (small, (1, 2)), (small, (1, 2))]
    reused = 0
    for scribble in (False, True):
        for shape, padding in calls:
            x = torch.randn(shape, generator=gen)
            before = dict(space.frames)
            out = ws.padded(x, padding, space, "cols.pad")
            reused += any(frame == (tuple(out.shape), padding) for frame in before.values())
            assert torch.equal(out, F.pad(x, (padding[1],) * 2 + (padding[0],) * 2))
            for key, (frame_shape, _) in list(space.frames.items()) if scribble else ():
                space.get(key[0], frame_shape, x).fill_(float("nan"))
    assert reused >= 3  # the first pass did skip the zeroing


def test_padded_reads_strided_inputs_and_keeps_no_view_of_them():
    x = torch.randn(2, 6, 5, 7)[:, ::2].transpose(2, 3)
    out = ws.padded(x, (1, 1), ws.Workspace(), "cols.pad")
    assert torch.equal(out, F.pad(x, (1, 1, 1, 1)))
    assert out.untyped_storage().data_ptr() != x.untyped_storage().data_ptr()


def test_views_are_reused_and_follow_a_grown_buffer():
    space = ws.Workspace()
    like = torch.empty(0)
    a = space.get("cols", (2, 3), like)
    assert space.get("cols", (2, 3), like) is a
    b = space.get("cols", (5, 7), like)  # grows the buffer: the cached view of the old one is dropped
    c = space.get("cols", (2, 3), like)
    assert c.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()
    assert c.shape == (2, 3) and c.is_contiguous()


def test_framed_is_ready_only_after_the_same_frame():
    space = ws.Workspace()
    like = torch.empty(0)
    assert space.framed("pad", (1, 1, 4, 4), like, (1, 1))[1] is False
    assert space.framed("pad", (1, 1, 4, 4), like, (1, 1))[1] is True
    assert space.framed("pad", (1, 1, 4, 4), like, (2, 2))[1] is False
    space.get("pad", (1, 1, 4, 4), like)
    assert space.framed("pad", (1, 1, 4, 4), like, (2, 2))[1] is False


def test_clear_releases_every_buffer_and_the_next_get_allocates_afresh():
    space = ws.Workspace()
    like = torch.empty(0)
    old = space.get("cols", (2, 3), like)
    ws.padded(torch.ones(1, 1, 2, 2), (1, 1), space, "cols.pad")
    space.clear()
    assert space.buffers == {} and space.views == {} and space.frames == {}
    new = space.get("cols", (2, 3), like)
    assert new.data_ptr() != old.data_ptr()  # old still holds its memory, so a new buffer lies elsewhere
    assert torch.equal(ws.padded(torch.ones(1, 1, 2, 2), (1, 1), space, "cols.pad"), F.pad(torch.ones(1, 1, 2, 2),
                                                                                               (1, 1, 1, 1)))


def test_each_owner_has_its_own_workspace_released_with_it_or_by_clear():
    import gc

    class Owner:
        pass

    space, owners = ws.Workspace(), [Owner(), Owner()]
    assert space.of(owners[0]) is space.of(owners[0])
    assert space.of(owners[0]) is not space.of(owners[1])
    del owners[1]
    gc.collect()
    assert len(space.owned) == 1
    space.clear()
    assert len(space.owned) == 0


def test_eval_outputs_do_not_live_in_the_shared_scratch_memory():
    """Eval mode shares the scratch memory too: an output must survive the next layers' calls."""
    from Miniproject_2.model import Conv2d, Upsampling
    torch.manual_seed(0)
    layers = [Conv2d(3, 5, 3, padding=1), Upsampling(5, 4, 3, scale_factor=2, padding=1), Conv2d(4, 3, 3, stride=2)]
    x = torch.randn(2, 3, 6, 6)
    outputs = []
    for layer in layers:
        layer.eval()
        x = layer.forward(x)
        outputs.append((x, x.clone()))
    for out, copy in outputs:
        assert torch.equal(out, copy)


def test_strided_views_are_cached_with_the_buffer_and_follow_it_when_it_grows():
    space = ws.Workspace()
    like = torch.empty(0)
    base = space.get("pad", (1, 1, 4, 4), like)
    inside = space.strided("pad", (1, 1, 4, 4), like, (1, 1, 2, 2), (16, 16, 4, 1), 5)
    assert space.strided("pad", (1, 1, 4, 4), like, (1, 1, 2, 2), (16, 16, 4, 1), 5) is inside
    base.copy_(torch.arange(16.0).view(1, 1, 4, 4))
    assert torch.equal(inside, base[:, :, 1:3, 1:3])
    space.get("pad", (1, 1, 8, 8), like)  # grows the buffer: both cached views of the old one are dropped
    base = space.get("pad", (1, 1, 4, 4), like)
    moved = space.strided("pad", (1, 1, 4, 4), like, (1, 1, 2, 2), (16, 16, 4, 1), 5)
    assert moved is not inside and moved.untyped_storage().data_ptr() == base.untyped_storage().data_ptr()


def test_view_of_is_rebuilt_for_another_tensor_or_when_a_tensor_moves():
    """Module.to and the optimizer's packing keep a parameter's object and move its memory."""
    space = ws.Workspace()
    weight = torch.arange(6.0).view(2, 3)
    made = []

    def transposed(t):
        made.append(t)
        return t.t()

    first = space.view_of(weight, "t", transposed)
    assert space.view_of(weight, "t", transposed) is first and len(made) == 1
    weight.data = weight.data.to(torch.float64)
    moved = space.view_of(weight, "t", transposed)
    assert len(made) == 2 and moved.dtype == torch.float64 and torch.equal(moved, weight.t())
    other = torch.zeros(2, 3)
    assert torch.equal(space.view_of(other, "t", transposed), other.t()) and len(made) == 3
    space.clear()
    space.view_of(other, "t", transposed)
    assert len(made) == 4
